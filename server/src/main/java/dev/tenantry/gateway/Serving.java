package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;

/**
 * What serves a client connection's current request once it is admitted: an exchange with an
 * upstream, or a call of the tenant's function. The connection feeds it the request body and
 * tells it what happens to the client.
 */
sealed interface Serving permits Exchange, FunctionCall {
    /** Takes body bytes from {@code in}; false when it takes none now (they wait, and reading may pause). */
    boolean takeRequestBytes(ByteBuf in);

    /** Whether the client's bytes must wait (the receiving side cannot take more now): reading pauses. */
    boolean waitsForUpstream();

    /** Flushes what was sent onward during one pass over the client's input. */
    void flushUpstream();

    void clientWritabilityChanged(boolean writable);

    /** The client's connection closed. */
    void clientGone();

    /** The connection's timer for this request fired; see {@link ClientConnection#checkExchangeBy}. */
    void checkTimeout();
}
