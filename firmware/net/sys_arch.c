/*
 * sys_arch.c - the one function NO_SYS lwIP needs from the platform:
 * milliseconds for its timers. Layer: firmware/net (portable), via board.h.
 */
#include "lwip/sys.h"
#include "board.h"

u32_t sys_now(void)
{
    return board_millis();
}
