#!/bin/busybox sh
# /init of the ioconform guest (pid 1 in the initramfs).
# Mount the pseudo filesystems, hand every edu device (1234:11e8) to vfio-pci,
# run the agent with its results going to the second serial port, power off.
# Lines starting with "ioconform-init:" on the console are read by the runner.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# CONFIG_DEVTMPFS_MOUNT does not apply when the kernel runs an initramfs /init.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo "ioconform-init: userspace up at $(cut -d' ' -f1 /proc/uptime)s"
for d in /sys/bus/pci/devices/*; do
  [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
  bdf=${d##*/}
  # driver_override makes only vfio-pci match; drivers_probe re-runs matching.
  [ -e "$d/driver" ] && echo "$bdf" > "$d/driver/unbind"
  echo vfio-pci > "$d/driver_override"
  echo "$bdf" > /sys/bus/pci/drivers_probe
  group=$(readlink "$d/iommu_group"); group=${group##*/}
  echo "ioconform-init: edu $bdf iommu_group ${group:-none} vfio-dev $(ls "$d/vfio-dev" 2>/dev/null)"
done
echo "ioconform-init: agent start at $(cut -d' ' -f1 /proc/uptime)s"
/ioconform-agent /scenarios.json /dev/ttyS1
echo "ioconform-init: agent exit $? at $(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
