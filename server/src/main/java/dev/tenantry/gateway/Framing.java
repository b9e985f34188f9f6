package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;

/**
 * Where one message body ends (RFC 9112 6.3): after a known length, after the last chunk and
 * trailers of a chunked body, or when the connection closes. The gateway relays bodies to
 * upstreams as they came, framing included, so there it only needs to find the end; a function
 * gets the data alone ({@link #scanData}).
 */
final class Framing {
    private enum Chunked { SIZE, EXTENSION, DATA, DATA_END, TRAILER_START, TRAILER }

    private static final long UNTIL_CLOSE = -2;
    private static final long CHUNKED = -1;
    private long remaining;
    private Chunked state;
    private long chunk;
    private int sizeDigits;
    private boolean done;
    private boolean malformed;

    void none() {
        length(0);
    }

    void length(long bytes) {
        remaining = bytes;
        done = bytes == 0;
        malformed = false;
    }

    void chunked() {
        remaining = CHUNKED;
        state = Chunked.SIZE;
        chunk = 0;
        sizeDigits = 0;
        done = false;
        malformed = false;
    }

    void untilClose() {
        remaining = UNTIL_CLOSE;
        done = false;
        malformed = false;
    }

    boolean done() {
        return done;
    }

    boolean untilClosed() {
        return remaining == UNTIL_CLOSE;
    }

    /** A chunked body whose framing is broken: the connection cannot be trusted any further. */
    boolean malformed() {
        return malformed;
    }

    /** Takes body bytes from {@code buf}'s readable part; answers the index where they end (the body's end, or the writer index). */
    int scan(ByteBuf buf) {
        int from = buf.readerIndex();
        int to = buf.writerIndex();
        if (remaining == UNTIL_CLOSE) {
            return to;
        }
        if (remaining >= 0) {
            int n = (int) Math.min(remaining, to - from);
            remaining -= n;
            done = remaining == 0;
            return from + n;
        }
        int at = from;
        while (at < to && !done && !malformed) {
            at = step(buf, at, to);
        }
        return at;
    }

    /** Takes a body's data bytes, without the chunked framing around them. */
    interface Data {
        void take(ByteBuf buf, int index, int length);
    }

    /**
     * As {@link #scan}, but hands the data bytes to {@code data}, the chunked framing left out,
     * and stops after one run of them, so that the taker may ask for no more before the next.
     */
    int scanData(ByteBuf buf, Data data) {
        int from = buf.readerIndex();
        int to = buf.writerIndex();
        if (remaining != CHUNKED) {
            int end = scan(buf);
            if (end > from) {
                data.take(buf, from, end - from);
            }
            return end;
        }
        int at = from;
        while (at < to && !done && !malformed) {
            if (state == Chunked.DATA) {
                int start = at;
                at = step(buf, at, to);
                data.take(buf, start, at - start);
                return at;
            }
            at = step(buf, at, to);
        }
        return at;
    }

    private int step(ByteBuf buf, int at, int to) {
        byte b = buf.getByte(at);
        switch (state) {
            case SIZE -> {
                int digit = Character.digit(b, 16);
                if (digit >= 0 && sizeDigits < 15) {
                    chunk = chunk * 16 + digit;
                    sizeDigits++;
                    return at + 1;
                }
                malformed = sizeDigits == 0 || digit >= 0;
                state = Chunked.EXTENSION;
                return at;
            }
            case EXTENSION -> {
                if (b == '\n') {
                    state = chunk == 0 ? Chunked.TRAILER_START : Chunked.DATA;
                }
                return at + 1;
            }
            case DATA -> {
                int n = (int) Math.min(chunk, to - at);
                chunk -= n;
                if (chunk == 0) {
                    state = Chunked.DATA_END;
                }
                return at + n;
            }
            case DATA_END -> {
                if (b == '\n') {
                    state = Chunked.SIZE;
                    sizeDigits = 0;
                } else if (b != '\r') {
                    malformed = true;
                }
                return at + 1;
            }
            case TRAILER_START -> {
                if (b == '\n') {
                    done = true;
                } else if (b != '\r') {
                    state = Chunked.TRAILER;
                }
                return at + 1;
            }
            case TRAILER -> {
                if (b == '\n') {
                    state = Chunked.TRAILER_START;
                }
                return at + 1;
            }
        }
        throw new IllegalStateException(state.name());
    }
}
