UNIT_TESTS += udc_conf_fake
# the udc.h conformance suite on the unit tests' fake controller
test_udc_conf_fake_SRCS := tests/unit/udc_conformance.c tests/unit/fake_udc.c
