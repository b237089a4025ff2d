#include "plan/windows/model_fs.hpp"

#include <algorithm>
#include <cerrno>

#include "plan/windows/win_path.hpp"

namespace cordon::win {

struct ModelFs::Node {
  std::string name;
  std::string short_name;
  bool dir = true;
  std::string link;  // junction/symlink target; empty for ordinary objects
  Sid owner;
  std::vector<Ace> aces;  // explicit ACEs
  bool protect_dacl = false;
  std::string content;
  Node* parent = nullptr;
  std::map<std::string, std::unique_ptr<Node>> children;  // by folded long name
};

const char* to_string(Op op) {
  switch (op) {
    case Op::Read:
      return "read";
    case Op::Write:
      return "write";
    case Op::Append:
      return "append";
    case Op::Create:
      return "create";
    case Op::Mkdir:
      return "mkdir";
    case Op::Delete:
      return "delete";
    case Op::Rename:
      return "rename";
    case Op::WriteAttributes:
      return "write-attributes";
    case Op::SetDacl:
      return "set-dacl";
  }
  return "?";
}

ModelFs::ModelFs(Sid owner) : owner_(std::move(owner)) {}
ModelFs::~ModelFs() = default;

namespace {

std::string join_parts(const WinPath& base, const std::vector<std::string>& parts) {
  WinPath p = base;
  p.stream.clear();
  p.parts = parts;
  return p.object();
}

std::vector<Ace> inherited_into(const ModelFs::Node* node);

}  // namespace

ModelFs::Node* ModelFs::make_path(const std::string& path, bool directory) {
  auto p = parse_path(path);
  if (!p || p->kind == PathKind::Relative || p->kind == PathKind::Device) return nullptr;
  auto& root = roots_[fold_case(p->root)];
  if (!root) {
    root = std::make_unique<Node>();
    root->name = p->root;
    root->owner = owner_;
  }
  Node* cur = root.get();
  for (size_t i = 0; i < p->parts.size(); ++i) {
    auto& child = cur->children[fold_case(p->parts[i])];
    if (!child) {
      child = std::make_unique<Node>();
      child->name = p->parts[i];
      child->owner = owner_;
      child->parent = cur;
      child->dir = i + 1 < p->parts.size() || directory;
    }
    cur = child.get();
  }
  return cur;
}

void ModelFs::mkdir(const std::string& path, const std::vector<Ace>& aces, bool protect_dacl) {
  Node* n = make_path(path, true);
  if (!n) return;
  for (const auto& a : aces) add_ace(path, a);
  n->protect_dacl = protect_dacl;
}

void ModelFs::add_file(const std::string& path, const std::vector<Ace>& aces, std::string content) {
  Node* n = make_path(path, false);
  if (!n) return;
  n->dir = false;
  n->content = std::move(content);
  for (const auto& a : aces) add_ace(path, a);
}

void ModelFs::add_link(const std::string& path, const std::string& target) {
  Node* n = make_path(path, true);
  if (n) n->link = normalize(target);
}

void ModelFs::add_device(const std::string& device_path, std::vector<Ace> aces) {
  auto p = parse_path(device_path);
  if (!p || p->kind != PathKind::Device) return;
  auto node = std::make_unique<Node>();
  node->name = p->object();
  node->owner = sids::local_system();
  node->dir = false;
  node->aces = std::move(aces);
  devices_[fold_case(p->object())] = std::move(node);
}

void ModelFs::set_short_name(const std::string& path, const std::string& short_name) {
  auto r = resolve(path, false);
  if (r && r->node) r->node->short_name = short_name;
}

void ModelFs::set_owner(const std::string& path, const Sid& owner) {
  auto r = resolve(path, false);
  if (r && r->node) r->node->owner = owner;
}

void ModelFs::add_ace(const std::string& path, const Ace& ace) {
  // As the applier opens objects (FILE_FLAG_OPEN_REPARSE_POINT): a link gets the ACE
  // on the link object itself, never on its target.
  auto r = resolve(path, false);
  if (!r || !r->node) return;
  auto& aces = r->node->aces;
  Ace a = ace;
  a.flags &= static_cast<uint8_t>(~ace_flags::kInherited);
  if (std::find(aces.begin(), aces.end(), a) != aces.end()) return;
  if (a.type == AceType::Deny) {
    auto first_allow =
        std::find_if(aces.begin(), aces.end(), [](const Ace& x) { return x.type == AceType::Allow; });
    aces.insert(first_allow, a);
  } else {
    aces.push_back(a);
  }
}

bool ModelFs::remove_ace(const std::string& path, const Ace& ace) {
  auto r = resolve(path, false);
  if (!r || !r->node) return false;
  auto& aces = r->node->aces;
  auto it = std::find(aces.begin(), aces.end(), ace);
  if (it == aces.end()) return false;
  aces.erase(it);
  return true;
}

std::vector<Ace> ModelFs::explicit_aces(const std::string& path) const {
  auto r = resolve(path, false);
  return r && r->node ? r->node->aces : std::vector<Ace>{};
}

namespace {

std::vector<Ace> inherited_into(const ModelFs::Node* node) {
  std::vector<Ace> out;
  if (node->protect_dacl) return out;
  int depth = 1;
  for (const ModelFs::Node* p = node->parent; p; p = p->parent, ++depth) {
    for (const auto& ace : p->aces) {
      bool applies =
          node->dir ? (ace.flags & ace_flags::kContainerInherit) : (ace.flags & ace_flags::kObjectInherit);
      if (!applies || (depth > 1 && (ace.flags & ace_flags::kNoPropagate))) continue;
      Ace a = ace;
      a.flags = static_cast<uint8_t>((ace.flags & ace_flags::kTree) | ace_flags::kInherited);
      out.push_back(a);
    }
    if (p->protect_dacl) break;
  }
  return out;
}

}  // namespace

bool ModelFs::remove(const std::string& path) {
  auto r = resolve(path, false);
  if (!r || !r->node || r->is_device || !r->parent) return false;
  if (r->node->link.empty() && !r->node->children.empty()) return false;
  for (auto it = r->parent->children.begin(); it != r->parent->children.end(); ++it)
    if (it->second.get() == r->node) {
      r->parent->children.erase(it);
      return true;
    }
  return false;
}

bool ModelFs::rename_entry(const std::string& path, const std::string& new_name) {
  auto r = resolve(path, false);
  if (!r || !r->node || r->is_device || !r->parent) return false;
  if (r->parent->children.count(fold_case(new_name))) return false;
  for (auto it = r->parent->children.begin(); it != r->parent->children.end(); ++it)
    if (it->second.get() == r->node) {
      std::unique_ptr<Node> node = std::move(it->second);
      r->parent->children.erase(it);
      node->name = new_name;
      node->short_name.clear();
      r->parent->children[fold_case(new_name)] = std::move(node);
      return true;
    }
  return false;
}

std::vector<Ace> ModelFs::effective_dacl(const std::string& path) const {
  auto r = resolve(path, true);
  if (!r || !r->node) return {};
  return dacl_of(*r);
}

std::vector<Ace> ModelFs::dacl_of(const Resolved& r) const {
  std::vector<Ace> out = r.node->aces;
  if (!r.is_device) {
    auto inherited = inherited_into(r.node);
    out.insert(out.end(), inherited.begin(), inherited.end());
  }
  return out;
}

std::optional<ModelFs::Resolved> ModelFs::resolve(const std::string& path, bool follow_last) const {
  std::string current = path;
  for (int hops = 0; hops < 32; ++hops) {
    auto p = parse_path(current);
    if (!p || p->kind == PathKind::Relative) return std::nullopt;
    if (p->kind == PathKind::Device) {
      auto it = devices_.find(fold_case(p->object()));
      Resolved r;
      r.node = it == devices_.end() ? nullptr : it->second.get();
      r.path = p->object();
      r.is_device = true;
      return r;
    }
    auto root = roots_.find(fold_case(p->root));
    if (root == roots_.end()) return std::nullopt;
    Node* cur = root->second.get();
    std::vector<std::string> names;
    bool relinked = false;
    for (size_t i = 0; i < p->parts.size(); ++i) {
      const bool last = i + 1 == p->parts.size();
      std::string key = fold_case(p->parts[i]);
      Node* child = nullptr;
      auto it = cur->children.find(key);
      if (it != cur->children.end()) {
        child = it->second.get();
      } else {
        for (auto& [k, c] : cur->children)
          if (!c->short_name.empty() && fold_case(c->short_name) == key) child = c.get();
      }
      if (!child) {
        if (!last || !cur->dir) return std::nullopt;
        names.push_back(p->parts[i]);
        return Resolved{nullptr, cur, join_parts(*p, names), false};
      }
      if (!child->link.empty() && (!last || follow_last)) {
        std::string next = child->link;
        for (size_t k = i + 1; k < p->parts.size(); ++k) next += "\\" + p->parts[k];
        current = next;
        relinked = true;
        break;
      }
      names.push_back(child->name);
      cur = child;
    }
    if (relinked) continue;
    return Resolved{cur, cur->parent, join_parts(*p, names), false};
  }
  return std::nullopt;  // link loop
}

bool ModelFs::rights(const TokenModel& token, const Resolved& r, uint32_t desired,
                     RestrictedScope scope) const {
  if (!r.node) return false;
  auto dacl = dacl_of(r);
  return access_allowed(token, &dacl, r.node->owner, desired, scope);
}

bool ModelFs::delete_rights(const TokenModel& token, const Resolved& r, RestrictedScope scope) const {
  if (!r.node) return false;
  if (rights(token, r, access::kDelete, scope)) return true;
  if (!r.parent) return false;
  Resolved parent{r.parent, r.parent->parent, win::parent(r.path), false};
  return rights(token, parent, access::kDeleteChild, scope);
}

bool ModelFs::can(const TokenModel& token, Op op, const std::string& path, RestrictedScope scope,
                  const std::string& to) const {
  const bool follow = op != Op::Delete && op != Op::Rename;
  auto r = resolve(path, follow);
  if (!r) return false;
  auto parent_of = [&](const Resolved& x) {
    return Resolved{x.parent, x.parent ? x.parent->parent : nullptr, win::parent(x.path), false};
  };
  switch (op) {
    case Op::Read:
      return rights(token, *r, access::kReadData, scope);
    case Op::Append:
      return rights(token, *r, access::kAppendData, scope);
    case Op::WriteAttributes:
      return rights(token, *r, access::kWriteAttributes, scope);
    case Op::SetDacl:
      return rights(token, *r, access::kWriteDac, scope);
    case Op::Write:
    case Op::Create:
      if (r->node) return rights(token, *r, access::kWriteData, scope);
      if (r->is_device || !r->parent) return false;
      return rights(token, parent_of(*r), access::kWriteData, scope);
    case Op::Mkdir:
      if (r->node || r->is_device || !r->parent) return false;
      return rights(token, parent_of(*r), access::kAppendData, scope);
    case Op::Delete:
      return !r->is_device && delete_rights(token, *r, scope);
    case Op::Rename: {
      if (r->is_device || !r->node || !delete_rights(token, *r, scope)) return false;
      auto dst = resolve(to, false);
      if (!dst || dst->is_device || !dst->parent) return false;
      uint32_t add = r->node->dir ? access::kAppendData : access::kWriteData;
      if (!rights(token, parent_of(*dst), add, scope)) return false;
      return !dst->node || delete_rights(token, *dst, scope);
    }
  }
  return false;
}

FsEntry ModelFs::stat(const std::string& path) const {
  FsEntry e;
  auto r = resolve(path, true);
  if (!r || !r->node || r->is_device) return e;
  e.kind = r->node->dir ? FsEntry::Kind::Directory : FsEntry::Kind::File;
  e.final_path = r->path;
  auto self = resolve(path, false);
  e.reparse = self && self->node && !self->node->link.empty();
  return e;
}

bool ModelFs::is_link(const std::string& path) const {
  auto r = resolve(path, false);
  return r && r->node && !r->node->link.empty();
}

std::vector<std::string> ModelFs::list(const std::string& dir) const {
  std::vector<std::string> out;
  auto r = resolve(dir, true);
  if (!r || !r->node || !r->node->dir) return out;
  for (const auto& [k, c] : r->node->children) out.push_back(c->name);
  return out;
}

std::optional<std::vector<Ace>> ModelFs::dacl(const std::string& path) const {
  auto r = resolve(path, true);
  if (!r || !r->node) return std::nullopt;
  return dacl_of(*r);
}

std::optional<std::string> ModelFs::read_small(const std::string& path, size_t max_bytes) const {
  auto r = resolve(path, true);
  if (!r || !r->node || r->node->dir) return std::nullopt;
  return r->node->content.substr(0, max_bytes);
}

namespace {

struct ModelObject : TreeOps::Object {
  explicit ModelObject(std::string p) : path(std::move(p)) {}
  std::string path;
};

}  // namespace

Result<std::unique_ptr<TreeOps::Object>> ModelTreeOps::open(Object* dir, const std::string& name) {
  std::string path = dir ? static_cast<ModelObject*>(dir)->path + "\\" + name : name;
  auto r = fs_.resolve(path, false);
  if (!r || !r->node) return os_error("open", path, ENOENT);
  return std::unique_ptr<Object>(std::make_unique<ModelObject>(path));
}

Result<TreeOps::Info> ModelTreeOps::info(Object& object) {
  auto r = fs_.resolve(static_cast<ModelObject&>(object).path, false);
  if (!r || !r->node) return os_error("info", static_cast<ModelObject&>(object).path, ENOENT);
  return Info{r->node->dir, !r->node->link.empty()};
}

Result<std::vector<TreeOps::Entry>> ModelTreeOps::list(Object& dir) {
  const std::string& path = static_cast<ModelObject&>(dir).path;
  auto r = fs_.resolve(path, false);
  if (!r || !r->node || !r->node->dir) return os_error("list", path, ENOTDIR);
  std::vector<Entry> out;
  for (const auto& [k, c] : r->node->children) out.push_back({c->name, !c->link.empty()});
  return out;
}

Status ModelTreeOps::remove(Object& object) {
  const std::string& path = static_cast<ModelObject&>(object).path;
  if (!fs_.remove(path)) return os_error("remove", path, ENOTEMPTY);
  return Ok{};
}

Status ModelTreeOps::rename(Object& object, Object& dir, const std::string& new_name) {
  const std::string& path = static_cast<ModelObject&>(object).path;
  // Within its own directory only, as the Win32 rename relative to the directory handle.
  if (!same_path(parent(path), static_cast<ModelObject&>(dir).path) || !fs_.rename_entry(path, new_name))
    return os_error("rename", path, EEXIST);
  return Ok{};
}

Result<std::string> ModelTreeOps::read_small(Object& file, size_t max) {
  const std::string& path = static_cast<ModelObject&>(file).path;
  auto r = fs_.resolve(path, false);
  if (!r || !r->node || r->node->dir || !r->node->link.empty()) return os_error("read", path, EISDIR);
  if (r->node->content.size() > max) return os_error("read", path, EFBIG);
  return r->node->content;
}

Status ModelTreeOps::create_file(Object& dir, const std::string& name, const std::string& content) {
  const std::string& path = static_cast<ModelObject&>(dir).path;
  auto d = fs_.resolve(path, false);
  if (!d || !d->node || !d->node->dir || !d->node->link.empty()) return os_error("create", path, ENOTDIR);
  auto existing = fs_.resolve(path + "\\" + name, false);
  if (existing && existing->node) return os_error("create", path + "\\" + name, EEXIST);
  fs_.add_file(path + "\\" + name, {}, content);
  return Ok{};
}

}  // namespace cordon::win
