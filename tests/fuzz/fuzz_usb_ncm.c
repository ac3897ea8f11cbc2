/*
 * fuzz_usb_ncm.c - libFuzzer target: the USB device core with the CDC-NCM
 * class (CDC NCM 1.0) and the NCM descriptor set (BOS, MS OS 2.0), as an
 * event stream. The harness, its input format and its oracle are
 * fuzz_usb.c's (one file, so ECM and NCM are fuzzed the same way); this file
 * only selects the class. Layer: tests/fuzz.
 */
#define FUZZ_USB_NCM 1
#include "fuzz_usb.c"
