UNIT_TESTS += reset_cause
# reset_cause.h is header-only: the test file is the whole program
test_reset_cause_SRCS :=
