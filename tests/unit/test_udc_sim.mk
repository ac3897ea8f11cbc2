UNIT_TESTS += udc_sim
test_udc_sim_SRCS := hal_stub/udc_sim.c
