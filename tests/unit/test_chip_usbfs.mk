UNIT_TESTS += chip_usbfs
# The USB FS peripheral model alone (sim/chip/usbfs.c): one test per RM0091 rule.
test_chip_usbfs_SRCS := sim/chip/usbfs.c
