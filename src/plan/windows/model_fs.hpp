// cordon (Windows plan): a simulated NTFS volume for the access-check MODEL.
//
//   ModelFs fs(user);                                      // objects owned by `user`
//   fs.mkdir("C:\\ws", {{AceType::Allow, user, access::kFileAllAccess, ace_flags::kTree}});
//   fs.add_link("C:\\ws\\out", "C:\\outside");             // a junction
//   fs.set_short_name("C:\\ws\\.git", "GIT~1");
//   fs.can(token, Op::Create, "C:\\ws\\GIT~1\\hooks\\x", RestrictedScope::AllModifying);
//
// It models what confinement depends on: ACLs live on objects (so case variants, 8.3
// aliases, streams and \\?\ spellings reach the same ACL); inheritance (explicit ACEs
// first, then inherited ones from the nearest ancestor up, per OI/CI/NP/IO flags);
// junctions and symbolic links resolved to their targets; devices with their own
// DACLs; and the rights each operation needs:
//   read        FILE_READ_DATA on the object
//   write       FILE_WRITE_DATA on the object (a stream: on its file)
//   append      FILE_APPEND_DATA on the object
//   create      FILE_ADD_FILE on the parent directory
//   mkdir       FILE_ADD_SUBDIRECTORY on the parent directory
//   delete      DELETE on the object, or FILE_DELETE_CHILD on its parent
//   rename      delete rights on the source, create rights in the target directory,
//               and delete rights on a replaced target
//   set-dacl    WRITE_DAC on the object
// It is also an FsView, so the same simulated host feeds the planner.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plan/windows/access.hpp"
#include "plan/windows/host.hpp"
#include "plan/windows/remove_tree.hpp"

namespace cordon::win {

enum class Op { Read, Write, Append, Create, Mkdir, Delete, Rename, WriteAttributes, SetDacl };
const char* to_string(Op op);

class ModelFs : public FsView {
 public:
  explicit ModelFs(Sid owner);
  ~ModelFs() override;
  ModelFs(const ModelFs&) = delete;
  ModelFs& operator=(const ModelFs&) = delete;

  // Builders: absolute paths; missing parents are created as plain directories.
  void mkdir(const std::string& path, const std::vector<Ace>& aces = {}, bool protect_dacl = false);
  void add_file(const std::string& path, const std::vector<Ace>& aces = {}, std::string content = {});
  void add_link(const std::string& path, const std::string& target);
  void add_device(const std::string& device_path, std::vector<Ace> aces);
  void set_short_name(const std::string& path, const std::string& short_name);
  void set_owner(const std::string& path, const Sid& owner);
  // Explicit ACEs keep canonical order: denies before allows. A final link is not
  // followed (the ACE lands on the link object, as FILE_FLAG_OPEN_REPARSE_POINT does).
  void add_ace(const std::string& path, const Ace& ace);
  bool remove_ace(const std::string& path, const Ace& ace);
  std::vector<Ace> explicit_aces(const std::string& path) const;
  // Explicit ACEs first, then the inherited ones (flagged kInherited).
  std::vector<Ace> effective_dacl(const std::string& path) const;
  // Deletes the object at `path` itself, never following a final link (a link goes as
  // a link); a directory must be empty. False when missing or not empty.
  bool remove(const std::string& path);
  // Renames the object at `path` itself (never following a final link) to `new_name`
  // in the same directory. False when missing or when `new_name` exists.
  bool rename_entry(const std::string& path, const std::string& new_name);

  // Would `token` be allowed to perform `op` on `path` (and `to`, for Rename)?
  bool can(const TokenModel& token, Op op, const std::string& path, RestrictedScope scope,
           const std::string& to = {}) const;

  // FsView
  FsEntry stat(const std::string& path) const override;
  bool is_link(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  std::optional<std::vector<Ace>> dacl(const std::string& path) const override;
  std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const override;

  struct Node;

 private:
  friend class ModelTreeOps;
  struct Resolved {
    Node* node = nullptr;    // the object, or nullptr when the last component is missing
    Node* parent = nullptr;  // its directory
    std::string path;        // canonical path of the object (long names, links resolved)
    bool is_device = false;
  };
  std::optional<Resolved> resolve(const std::string& path, bool follow_last) const;
  Node* make_path(const std::string& path, bool directory);
  std::vector<Ace> dacl_of(const Resolved& r) const;
  bool rights(const TokenModel& token, const Resolved& r, uint32_t desired, RestrictedScope scope) const;
  bool delete_rights(const TokenModel& token, const Resolved& r, RestrictedScope scope) const;

  Sid owner_;
  std::map<std::string, std::unique_ptr<Node>> roots_;    // by folded root ("c:")
  std::map<std::string, std::unique_ptr<Node>> devices_;  // by folded device path
};

// remove_tree's operations on the model: objects are opened without following a
// final link, as FILE_FLAG_OPEN_REPARSE_POINT does.
class ModelTreeOps : public TreeOps {
 public:
  explicit ModelTreeOps(ModelFs& fs) : fs_(fs) {}
  Result<std::unique_ptr<Object>> open(Object* dir, const std::string& name) override;
  Result<Info> info(Object& object) override;
  Result<std::vector<Entry>> list(Object& dir) override;
  Status remove(Object& object) override;
  Status rename(Object& object, Object& dir, const std::string& new_name) override;
  Result<std::string> read_small(Object& file, size_t max) override;
  Status create_file(Object& dir, const std::string& name, const std::string& content) override;

 private:
  ModelFs& fs_;
};

}  // namespace cordon::win
