/*
 * serial.c - COM1 console on a 16550-compatible UART (PC16550D data sheet).
 *
 * A PC without COM1 reads 0xFF from the empty I/O ports and never reports an
 * empty transmitter, so the port is first checked in loopback mode: what is
 * sent must come back. Without that check the console would hang such a PC.
 */
#include "platform/pc/serial.h"

#include "arch/x86_64/x86.h"
#include "platform/pc/platform.h"

#include <stdint.h>

/* Register offsets from the base port. */
#define UART_DATA 0 /* RBR / THR; divisor low byte when DLAB = 1 */
#define UART_IER 1  /* interrupt enable; divisor high byte when DLAB = 1 */
#define UART_FCR 2  /* FIFO control */
#define UART_LCR 3  /* line control */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR_14 0xC7 /* enable FIFOs, clear both, 14-byte trigger */
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT2 0x08
#define MCR_LOOPBACK 0x10
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

#define UART_CLOCK_DIVISOR_115200 1 /* 1.8432 MHz / (16 * 115200) */
#define LOOPBACK_PROBE_BYTE 0xA5
#define TX_WAIT_LIMIT 100000 /* polls before the UART is given up as dead */

static bool present;

bool serial_init(void)
{
    outb(COM1_PORT + UART_IER, 0);
    outb(COM1_PORT + UART_LCR, LCR_DLAB);
    outb(COM1_PORT + UART_DATA, UART_CLOCK_DIVISOR_115200 & 0xFF);
    outb(COM1_PORT + UART_IER, UART_CLOCK_DIVISOR_115200 >> 8);
    outb(COM1_PORT + UART_LCR, LCR_8N1);
    outb(COM1_PORT + UART_FCR, FCR_ENABLE_CLEAR_14);

    outb(COM1_PORT + UART_MCR, MCR_LOOPBACK | MCR_RTS | MCR_DTR);
    outb(COM1_PORT + UART_DATA, LOOPBACK_PROBE_BYTE);
    bool echoed = false;
    for (int i = 0; i < TX_WAIT_LIMIT && !echoed; i++) {
        if (inb(COM1_PORT + UART_LSR) & LSR_DATA_READY)
            echoed = true;
        else
            cpu_pause();
    }
    present = echoed && inb(COM1_PORT + UART_DATA) == LOOPBACK_PROBE_BYTE;

    outb(COM1_PORT + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    return present;
}

static void serial_putc(char c)
{
    int i = 0;
    while (!(inb(COM1_PORT + UART_LSR) & LSR_THR_EMPTY)) {
        if (++i == TX_WAIT_LIMIT) {
            present = false; /* stuck transmitter: stop using it rather than hang */
            return;
        }
        cpu_pause();
    }
    outb(COM1_PORT + UART_DATA, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n && present; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}
