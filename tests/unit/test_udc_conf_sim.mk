UNIT_TESTS += udc_conf_sim
# the udc.h conformance suite on the simulator's controller
test_udc_conf_sim_SRCS := tests/unit/udc_conformance.c hal_stub/udc_sim.c
