// The guest's /init (harness/vm/guest_init.sh, embedded at build time): mounts
// proc/sys/devtmpfs, binds every edu device to vfio-pci, runs the agent with
// results on /dev/ttyS1 and powers off. It reports on the console in lines
// starting "ioconform-init:".
#pragma once

namespace ioconform::vm {

const char* guest_init_script();

}  // namespace ioconform::vm
