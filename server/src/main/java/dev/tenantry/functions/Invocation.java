package dev.tenantry.functions;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.util.function.BiConsumer;

/**
 * A caller's request to a function and the way back to the caller, as the {@link Invoker} sees
 * them, whatever carried the request (the gateway's own connections): the head, the body as a
 * stream, and an answer given whole or streamed. The invoker calls it on the event loop the
 * request arrived on.
 */
public interface Invocation {
    String method();

    /** The request target in origin form: path and query. */
    String uri();

    /** The scheme the caller used ({@code http}, or what a trusted front proxy says). */
    String scheme();

    /** The first value of the header named {@code lowerName} (lower case), or null. */
    String header(String lowerName);

    /** Each of the caller's header fields in order, but for the connection's own (hop-by-hop) ones. */
    void headers(BiConsumer<String, String> each);

    /** The caller's IP address. */
    String source();

    /** The body's length in bytes: 0 when there is none, -1 when it comes chunked. */
    long bodyLength();

    /** The body as it arrives, decoded from its framing; to be read at most once. */
    ReadStream<Buffer> body();

    /** The caller has gone: nothing sent now would reach it. */
    boolean gone();

    /** The answer's head has been sent already. */
    boolean answering();

    /** Answers with {@code status}, {@code headers} and the whole {@code body}. */
    void answer(int status, MultiMap headers, Buffer body);

    /**
     * Starts an answer whose body follows through the returned stream, framed by the
     * {@code Content-Length} among {@code headers} when there is one, else chunked; its
     * {@code end()} completes the answer.
     */
    WriteStream<Buffer> stream(int status, MultiMap headers);

    /** Cuts the answer short: the caller sees its connection close, never a truncated answer taken for whole. */
    void abort();
}
