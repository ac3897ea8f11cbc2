/* test_usbip_sched.c - the bridge's host controller (usbip_bridge/usbip_sched.c)
 * on a scripted device backend and an injected clock: the full-speed frame
 * schedule of --pace fs (USB 2.0 5.5.4, 5.7.4, 5.8.4, table 5-9), checked
 * frame by frame without any wall clock. Checks: at most 19 bulk packets of
 * 64 bytes per 1 ms frame, shared by both directions (each moves in every
 * frame while both have work) and every URB completes; the interrupt IN
 * endpoint is polled once per bInterval frames and not in between; a control
 * transfer gets its transactions first, in the frame it arrives, with bulk
 * saturating; a short packet starts only if a full one would fit; frames
 * slept through are not made up (no "per tick" burst);
 * the wait hint names the next frame; unpaced mode is unchanged (it polls
 * the interrupt endpoint on every step and moves every bulk packet at once,
 * which is what makes the paced assertions able to fail). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "usbip_sched.h"

/* ------------------------------------------------------------ the clock */

static uint64_t t_us;

static uint64_t fake_now(void)
{
    return t_us;
}

/* ------------------------------------------------------ the fake device */

#define BULK_EP 2u
#define INTR_EP 1u
#define INTR_INTERVAL 16u

static unsigned n_setup, n_out_bulk, n_in_bulk, n_intr_polls, n_ctl_in, n_ctl_out;
static bool intr_ready;       /* the next interrupt IN poll gets 16 bytes */
static uint64_t intr_poll_frames[64];
static uint16_t ctl_left;     /* bytes of the control read's data stage left */

static int be_setup(const uint8_t setup[8])
{
    n_setup++;
    ctl_left = (uint16_t)(setup[6] | (setup[7] << 8));
    if (ctl_left > 18u) {
        ctl_left = 18u;  /* a device descriptor */
    }
    return USBIP_BE_ACK;
}

static int be_out(uint8_t ep, const uint8_t *data, uint16_t len)
{
    (void)data;
    (void)len;
    if (ep == 0u) {
        n_ctl_out++;
    } else {
        assert_int_equal(ep, BULK_EP);
        n_out_bulk++;
    }
    return USBIP_BE_ACK;
}

static int be_in(uint8_t ep, uint8_t *buf, uint16_t room, uint16_t *len)
{
    *len = 0;
    if (ep == 0u) {
        uint16_t n = ctl_left < room ? ctl_left : room;
        n = n < 64u ? n : 64u;
        memset(buf, 0x12, n);
        ctl_left = (uint16_t)(ctl_left - n);
        *len = n;
        n_ctl_in++;
        return USBIP_BE_ACK;
    }
    if (ep == INTR_EP) {
        if (n_intr_polls < 64u) {
            intr_poll_frames[n_intr_polls] = t_us / 1000u;
        }
        n_intr_polls++;
        if (!intr_ready) {
            return USBIP_BE_NAK;
        }
        intr_ready = false;
        *len = room < 16u ? room : 16u;
        memset(buf, 0xA1, *len);
        return USBIP_BE_ACK;
    }
    assert_int_equal(ep, BULK_EP);
    *len = room < 64u ? room : 64u;  /* always a full packet: a saturating source */
    memset(buf, 0x5A, *len);
    n_in_bulk++;
    return USBIP_BE_ACK;
}

static void be_nop(void)
{
}

static uint8_t be_address(void)
{
    return 2u;
}

static const usbip_backend_t fake_be = {
    .name = "fake",
    .setup = be_setup,
    .out = be_out,
    .in = be_in,
    .bus_reset = be_nop,
    .unplug = be_nop,
    .address = be_address,
    .ep_mps = NULL,  /* from the "descriptors" below */
};

static int setup_sched(void **state)
{
    (void)state;
    n_setup = n_out_bulk = n_in_bulk = n_intr_polls = n_ctl_in = n_ctl_out = 0;
    intr_ready = false;
    t_us = 5000000u + 250u;  /* anywhere inside a frame */
    usbip_sched_init(&fake_be, NULL);
    usbip_sched_set_mps(0x80u | BULK_EP, 64);
    usbip_sched_set_mps(BULK_EP, 64);
    usbip_sched_set_ep(0x80u | BULK_EP, 2, 0);
    usbip_sched_set_ep(BULK_EP, 2, 0);
    usbip_sched_set_mps(0x80u | INTR_EP, 16);
    usbip_sched_set_ep(0x80u | INTR_EP, 3, INTR_INTERVAL);
    usbip_sched_set_pace(USBIP_PACE_FS, fake_now);
    return 0;
}

static uint32_t seq;

static usbip_urb_t *submit(uint8_t ep, uint8_t dir, uint16_t len)
{
    static const uint8_t no_setup[8];
    usbip_urb_t *u = usbip_sched_alloc();
    assert_non_null(u);
    u->seqnum = ++seq;
    u->epnum = ep;
    u->dir = dir;
    u->flags = 0;
    u->tbl = len;
    usbip_sched_start(u, no_setup);
    return u;
}

static usbip_urb_t *submit_get_descriptor(void)
{
    const uint8_t get_dev[8] = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 18, 0x00};
    usbip_urb_t *u = usbip_sched_alloc();
    assert_non_null(u);
    u->seqnum = ++seq;
    u->epnum = 0;
    u->dir = USBIP_DIR_IN;
    u->tbl = 18;
    usbip_sched_start(u, get_dev);
    return u;
}

/* Releases every completed URB (as the server does after RET_SUBMIT);
 * returns how many, each checked for status 0. */
static unsigned reap(void)
{
    unsigned n = 0;
    usbip_urb_t *u;
    while ((u = usbip_sched_next_done()) != NULL) {
        assert_int_equal(u->status, 0);
        assert_int_equal(u->pos, u->tbl);
        usbip_sched_release(u);
        n++;
    }
    return n;
}

/* Several passes of the main loop inside one frame, as the simulator does. */
static void run_frame(void)
{
    for (unsigned i = 0; i < 5u; i++) {
        (void)usbip_sched_step();
        t_us += 20u;  /* the loop takes a little time; still the same frame */
    }
}

static void next_frame(void)
{
    t_us = (t_us / 1000u + 1u) * 1000u + 100u;
}

/* ------------------------------------------------------------ the tests */

/* USB 2.0 table 5-9: 19 bulk transactions of 64 bytes per full-speed frame,
 * for both directions together; round robin lets both progress. */
static void test_bulk_19_per_frame_both_directions(void **state)
{
    (void)state;
    enum { URBS = 4, LEN = 1600 };  /* 25 packets each, 200 in all */
    for (unsigned i = 0; i < URBS; i++) {
        submit(BULK_EP, USBIP_DIR_OUT, LEN);
        submit(BULK_EP, USBIP_DIR_IN, LEN);
    }
    unsigned done = 0, frames = 0;
    while (done < 2u * URBS) {
        assert_true(frames < 40u);
        unsigned out0 = n_out_bulk, in0 = n_in_bulk;
        run_frame();
        usbip_sched_frame_t f;
        usbip_sched_frame_info(&f);
        unsigned out = n_out_bulk - out0, in = n_in_bulk - in0;
        assert_int_equal(f.frame_bulk, out + in);
        assert_true(out + in <= 19u);
        assert_true(f.frame_bytes <= 1500u);
        bool out_left = n_out_bulk < URBS * (LEN / 64u), in_left = n_in_bulk < URBS * (LEN / 64u);
        if (out_left && in_left) {
            /* both have work: the frame is full and both directions move */
            assert_int_equal(out + in, 19);
            assert_true(out >= 9u && in >= 9u);
        }
        done += reap();
        frames++;
        next_frame();
    }
    assert_int_equal(n_out_bulk, URBS * (LEN / 64u));
    assert_int_equal(n_in_bulk, URBS * (LEN / 64u));
    assert_int_equal(frames, (2u * URBS * (LEN / 64u) + 18u) / 19u);  /* 200 / 19 -> 11 */
    assert_int_equal(usbip_sched_wait_us(), -1);  /* nothing waits any more */
}

/* The bus does not make up frames the process slept through: one frame's
 * bus time whatever the gap (vudc's per-tick burst is what must not happen),
 * and many passes inside one frame do not add any. */
static void test_no_catch_up_after_a_gap(void **state)
{
    (void)state;
    submit(BULK_EP, USBIP_DIR_OUT, 4096);
    for (unsigned i = 0; i < 50u; i++) {
        (void)usbip_sched_step();
    }
    assert_int_equal(n_out_bulk, 19);
    t_us += 7000u;  /* seven frames gone */
    run_frame();
    assert_int_equal(n_out_bulk, 38);
    /* waiting for bus time: the hint is the start of the next frame */
    int32_t w = usbip_sched_wait_us();
    assert_true(w > 0 && w <= 1000);
    assert_int_equal((t_us + (uint64_t)w) % 1000u, 0);
}

/* A transaction starts only if a max-size packet still fits the frame
 * (USB 2.0 5.8.4): after 19 full packets (1463 of 1500 bytes) even a short
 * last packet waits for the next frame - never 20 bulk packets in one. */
static void test_short_packet_waits_for_room(void **state)
{
    (void)state;
    usbip_urb_t *u = submit(BULK_EP, USBIP_DIR_OUT, 19u * 64u + 10u);
    run_frame();
    assert_int_equal(n_out_bulk, 19);
    assert_false(u->done);
    usbip_sched_frame_t f;
    usbip_sched_frame_info(&f);
    assert_int_equal(f.frame_bytes, 19u * 77u);
    next_frame();
    run_frame();
    assert_int_equal(n_out_bulk, 20);
    assert_true(u->done);
    usbip_sched_frame_info(&f);
    assert_int_equal(f.frame_bytes, 10u + 13u);  /* charged what it carried */
}

/* USB 2.0 5.7.4 / 9.6.6: an interrupt endpoint is polled once every
 * bInterval frames, NAK or not, and not in the frames between. */
static void test_interrupt_polled_at_binterval(void **state)
{
    (void)state;
    usbip_urb_t *u = submit(INTR_EP, USBIP_DIR_IN, 16);
    for (unsigned f = 0; f < 5u * INTR_INTERVAL; f++) {
        run_frame();
        int32_t w = usbip_sched_wait_us();
        assert_true(w >= 0 && w <= (int32_t)(INTR_INTERVAL * 1000u));
        next_frame();
    }
    assert_int_equal(n_intr_polls, 5);
    for (unsigned i = 1; i < 5u; i++) {
        assert_int_equal(intr_poll_frames[i] - intr_poll_frames[i - 1], INTR_INTERVAL);
    }
    /* data ready: delivered at the next poll, not before */
    intr_ready = true;
    unsigned frames = 0;
    while (!u->done) {
        assert_true(frames <= INTR_INTERVAL);
        run_frame();
        frames++;
        next_frame();
    }
    assert_int_equal(n_intr_polls, 6);
    assert_int_equal(u->pos, 16);
    assert_int_equal(reap(), 1);
}

/* USB 2.0 5.5.4: control transfers get their share before bulk: a
 * GET_DESCRIPTOR arriving while both bulk directions saturate the bus runs
 * all three stages in its first frame; bulk gets the rest. */
static void test_control_first_no_starvation(void **state)
{
    (void)state;
    submit(BULK_EP, USBIP_DIR_OUT, 4096);
    submit(BULK_EP, USBIP_DIR_IN, 4096);
    submit(INTR_EP, USBIP_DIR_IN, 16);
    run_frame();
    next_frame();
    usbip_urb_t *c = submit_get_descriptor();
    unsigned b0 = n_out_bulk + n_in_bulk;
    run_frame();
    assert_true(c->done);
    assert_int_equal(c->status, 0);
    assert_int_equal(c->pos, 18);
    usbip_sched_frame_t f;
    usbip_sched_frame_info(&f);
    assert_int_equal(f.frame_ctrl, 3);  /* SETUP, one data packet, status */
    /* bus time left after 8+13, 18+13 and 0+13 bytes: 1435 / 77 = 18 */
    assert_int_equal(n_out_bulk + n_in_bulk - b0, 18);
    assert_true(f.frame_bytes <= 1500u);
}

/* Unpaced (the default): everything moves in one step, and the interrupt
 * endpoint is asked on every step - the behaviour the paced tests tell apart. */
static void test_unpaced_unchanged(void **state)
{
    (void)state;
    usbip_sched_set_pace(USBIP_PACE_NONE, fake_now);
    submit(BULK_EP, USBIP_DIR_OUT, 1600);
    submit(BULK_EP, USBIP_DIR_IN, 1600);
    submit(INTR_EP, USBIP_DIR_IN, 16);
    (void)usbip_sched_step();
    assert_int_equal(n_out_bulk, 25);
    assert_int_equal(n_in_bulk, 25);
    (void)usbip_sched_step();
    (void)usbip_sched_step();
    assert_true(n_intr_polls >= 3u);
    assert_int_equal(usbip_sched_wait_us(), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bulk_19_per_frame_both_directions, setup_sched),
        cmocka_unit_test_setup(test_no_catch_up_after_a_gap, setup_sched),
        cmocka_unit_test_setup(test_short_packet_waits_for_room, setup_sched),
        cmocka_unit_test_setup(test_interrupt_polled_at_binterval, setup_sched),
        cmocka_unit_test_setup(test_control_first_no_starvation, setup_sched),
        cmocka_unit_test_setup(test_unpaced_unchanged, setup_sched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
