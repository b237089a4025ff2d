// cordon-init: the sandbox's init as a small image of its own (platform/linux/init_main.hpp).
//
// The same init_main() that cordon runs for `cordon __cordon-init`, linked alone and
// statically: no dynamic loader, no shared libraries to map and relocate, no option table
// or other global constructors of the CLI. Every sandboxed run execs it once (pid 1), so
// its start-up is part of every command's. Run by anything but cordon's launcher, it
// exits 125 without doing anything (the argv carries the two descriptors it takes over).
#include "platform/linux/init_main.hpp"

int main(int argc, char** argv) {
  if (cordon::is_init_invocation(argc, argv)) cordon::init_main(argc, argv);
  return 125;
}
