UNIT_TESTS += pcap_usb
test_pcap_usb_SRCS := sim/pcap_usb.c sim/pcap.c
test_pcap_usb_CFLAGS := -Isim
test_pcap_usb_LIBS := -lpcap
