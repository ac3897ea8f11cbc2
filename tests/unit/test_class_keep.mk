UNIT_TESTS += class_keep
# class_keep.h is header-only: the test file is the whole program
test_class_keep_SRCS :=
