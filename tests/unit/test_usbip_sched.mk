UNIT_TESTS += usbip_sched
# the bridge's host controller alone on a scripted backend and an injected
# clock: the --pace fs full-speed frame schedule, frame by frame
test_usbip_sched_SRCS := usbip_bridge/usbip_sched.c
