/*
 * dfu_rt.c - DFU 1.1 runtime interface (see dfu_rt.h).
 *
 * Layer: portable (firmware/usb). Includes dfu_rt.h, usbd.h, usb_ids.h,
 * usb_std.h only.
 * DFU 1.1 6.1 (runtime mode): DFU_DETACH, DFU_GETSTATUS and DFU_GETSTATE;
 * every other request STALLs (DNLOAD/UPLOAD belong to the ROM's DFU mode).
 * The device stays in appIDLE: with bmAttributes WillDetach (usb_desc.c) it
 * does not wait for a USB reset in appDETACH but leaves the bus itself once
 * the DETACH request's status stage has completed, from the main loop. A bus
 * reset in between does not cancel it (DFU 1.1 5.1: a reset in appDETACH
 * enters DFU mode too).
 */
#include "dfu_rt.h"
#include "usb_ids.h"
#include "usb_std.h"

#define REQ_OUT (USB_REQ_TYPE_CLASS | USB_REQ_RCPT_INTERFACE)
#define REQ_IN (USB_REQ_DIR_IN | USB_REQ_TYPE_CLASS | USB_REQ_RCPT_INTERFACE)

static bool dfu_rt_detach;

void dfu_rt_init(void)
{
    dfu_rt_detach = false;
}

bool dfu_rt_set_interface(uint8_t alt)
{
    return alt == 0u;
}

int dfu_rt_control(const usb_setup_t *s, uint8_t *buf, uint16_t room)
{
    if (s->wIndex != USB_ITF_DFU) {
        return -1;
    }
    if (s->bmRequestType == REQ_OUT && s->bRequest == USB_DFU_DETACH && s->wLength == 0u) {
        /* wValue is wTimeout: irrelevant with WillDetach (we do not wait) */
        dfu_rt_detach = true;
        return 0;
    }
    if (s->bmRequestType == REQ_IN && s->wValue == 0u) {
        if (s->bRequest == USB_DFU_GETSTATUS && s->wLength == 6u && room >= 6u) {
            /* DFU 1.1 6.1.2: bStatus, bwPollTimeout (3 bytes), bState, iString */
            buf[0] = USB_DFU_STATUS_OK;
            buf[1] = 0;
            buf[2] = 0;
            buf[3] = 0;
            buf[4] = USB_DFU_STATE_APP_IDLE;
            buf[5] = 0;
            return 6;
        }
        if (s->bRequest == USB_DFU_GETSTATE && s->wLength == 1u && room >= 1u) {
            buf[0] = USB_DFU_STATE_APP_IDLE;  /* 6.1.5 */
            return 1;
        }
    }
    return -1;
}

bool dfu_rt_detach_due(void)
{
    if (!dfu_rt_detach || !usbd_ep0_idle()) {
        return false;
    }
    dfu_rt_detach = false;
    return true;
}
