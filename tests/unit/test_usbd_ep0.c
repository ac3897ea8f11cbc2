/* test_usbd_ep0.c - the whole test_usbd suite again, built (test_usbd_ep0.mk)
 * with USBD_EP0_BUF_SIZE 256, so class OUT data stages span 4 packets and the
 * multi-packet paths of the ep0 state machine run (issue #2, gap 5). */
#if !defined(USBD_EP0_BUF_SIZE) || USBD_EP0_BUF_SIZE != 256
#error "build with -DUSBD_EP0_BUF_SIZE=256u (test_usbd_ep0.mk)"
#endif
#include "test_usbd.c"
