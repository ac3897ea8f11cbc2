UNIT_TESTS += udc_sim
test_udc_sim_SRCS := hal_stub/udc_sim.c
# UNIT_CFLAGS has no -Ihal_stub (yet): add it for this test's objects only.
$(BUILD)/unit/obj/tests/unit/test_udc_sim.o: UNIT_CFLAGS += -Ihal_stub
