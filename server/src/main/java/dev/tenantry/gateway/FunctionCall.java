package dev.tenantry.gateway;

import dev.tenantry.functions.Invocation;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request to a tenant's function, handed to the invoker on the event loop it arrived on (a
 * Vert.x context of that loop is current while it runs): the invoker reads the head and the body
 * from it and answers through it. It writes the answer's head with the rate limit's headers,
 * frames the body (by length, chunked, or until the connection closes for an HTTP/1.0 client),
 * records the tenant's metrics, and hands the connection back for the next request.
 */
final class FunctionCall implements Serving, Invocation {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionCall.class);
    /** Headers the gateway writes itself on the way back (framing, connection, its own rate limit figures). */
    private static final Set<String> NOT_RETURNED = caseInsensitive("content-length", "transfer-encoding", "connection",
            "keep-alive", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset");
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private final ClientConnection client;
    private final HttpHead head;
    private final Request request;
    private final Framing requestBody;
    private final Admission.Function destination;
    private final long bodyLength;
    private final long started = System.nanoTime();
    private final Body body = new Body();
    private final AnswerBody answerBody = new AnswerBody();
    private boolean answering;
    private boolean chunked;
    private boolean closeDelimited;
    private boolean bodiless;
    private boolean gone;
    private boolean finished;
    private boolean continued;
    private int status;
    private long bytesIn;
    private long bytesOut;

    /** {@code head} is the request's; it stays as it is until this call ends. */
    FunctionCall(ClientConnection client, HttpHead head, Request request, Framing requestBody, Admission.Function destination) {
        this.client = client;
        this.head = head;
        this.request = request;
        this.requestBody = requestBody;
        this.destination = destination;
        int length = head.indexOf("content-length");
        this.bodyLength = head.indexOf("transfer-encoding") >= 0 ? -1 : length >= 0 ? head.contentLength(length) : 0;
    }

    /** Hands the call to the invoker, with {@code context} (of this event loop) current. */
    void start(ContextInternal context) {
        context.dispatch(this, call -> {
            try {
                destination.invoker().invoke(destination.state().context, destination.name(), call);
            } catch (RuntimeException e) {
                LOG.atError().setCause(e).addKeyValue("tenant", destination.state().context.slug()).log("the invoker failed");
                abort();
            }
        });
    }

    // ---------------------------------------------------------------------------- the request

    @Override
    public String method() {
        return request.method();
    }

    @Override
    public String uri() {
        return request.originForm();
    }

    @Override
    public String scheme() {
        String proto = client.peer().trusted() ? head.header("x-forwarded-proto") : null; // e.g. a TLS-terminating front proxy
        return proto == null ? "http" : proto;
    }

    @Override
    public String header(String lowerName) {
        return head.header(lowerName);
    }

    @Override
    public void headers(BiConsumer<String, String> each) {
        Forwarding.forFunction(head, each);
    }

    @Override
    public String source() {
        return client.peer().address();
    }

    @Override
    public long bodyLength() {
        return bodyLength;
    }

    @Override
    public ReadStream<Buffer> body() {
        return body;
    }

    // ---------------------------------------------------------------------------- the answer

    @Override
    public boolean gone() {
        return gone;
    }

    @Override
    public boolean answering() {
        return answering;
    }

    @Override
    public void answer(int status, MultiMap headers, Buffer content) {
        if (!client.inEventLoop()) {
            client.execute(() -> answer(status, headers, content));
            return;
        }
        if (finished || answering) {
            return;
        }
        ByteBuf bytes = ((BufferInternal) content).getByteBuf();
        int n = bytes.readableBytes();
        ByteBuf out = client.alloc().directBuffer(256 + n);
        writeHead(out, status, headers, n);
        if (!bodiless) {
            out.writeBytes(bytes, bytes.readerIndex(), n);
            bytesOut += n;
        }
        client.write(out);
        end();
    }

    @Override
    public WriteStream<Buffer> stream(int status, MultiMap headers) {
        if (!client.inEventLoop()) {
            client.execute(() -> stream(status, headers));
            return answerBody;
        }
        if (!finished && !answering) {
            String declared = headers.get("content-length");
            long length = declared == null ? -1 : parseLength(declared);
            ByteBuf out = client.alloc().directBuffer(512);
            writeHead(out, status, headers, length);
            client.write(out);
            client.flush();
        }
        return answerBody;
    }

    @Override
    public void abort() {
        if (!client.inEventLoop()) {
            client.execute(this::abort);
            return;
        }
        if (!finished) {
            finished = true;
            record(502);
            client.exchangeEnded(false);
        }
    }

    /** The status line and headers; {@code length} is the body's, or -1 when unknown (then chunked, or until close). */
    private void writeHead(ByteBuf out, int status, MultiMap headers, long length) {
        this.status = status;
        answering = true;
        bodiless = request.bodilessResponse() || status == 204 || status == 304 || status < 200;
        chunked = length < 0 && !bodiless && !request.http10();
        closeDelimited = length < 0 && !bodiless && request.http10();
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        out.writeCharSequence("HTTP/1.1 " + s.codeAsText() + " " + s.reasonPhrase() + "\r\n", StandardCharsets.ISO_8859_1);
        for (Map.Entry<String, String> h : headers) {
            if (!NOT_RETURNED.contains(h.getKey())) {
                line(out, h.getKey(), h.getValue());
            }
        }
        if (length >= 0 && status != 204 && status >= 200) {
            String declared = headers.get("content-length");
            line(out, "Content-Length", bodiless && declared != null ? declared : Long.toString(length));
        } else if (chunked) {
            line(out, "Transfer-Encoding", "chunked");
        }
        Answers.writeRateLimitHeaders(out, destination.verdict());
        if (closeDelimited || !request.keepAlive()) {
            line(out, "Connection", "close");
        } else if (request.http10()) {
            line(out, "Connection", "keep-alive"); // an HTTP/1.0 client assumes a close without it
        }
        out.writeByte('\r').writeByte('\n');
    }

    private static void line(ByteBuf out, String name, String value) {
        out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        out.writeByte(':').writeByte(' ');
        out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeByte('\r').writeByte('\n');
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The answer is complete: the client's next request may come, unless this connection must close. */
    private void end() {
        finished = true;
        record(status);
        client.exchangeEnded(request.keepAlive() && requestBody.done() && !closeDelimited);
    }

    private void record(int status) {
        destination.state().meters.record(status, System.nanoTime() - started, bytesIn, bytesOut);
    }

    // ---------------------------------------------------------------------------- from the client connection

    @Override
    public boolean takeRequestBytes(ByteBuf in) {
        if (requestBody.done() || !body.flowing()) {
            return false;
        }
        int end = requestBody.scanData(in, body);
        if (requestBody.malformed()) {
            LOG.atDebug().addKeyValue("tenant", destination.state().context.slug()).log("the client's chunked body is malformed");
            body.failed(new IllegalStateException("the request body's chunked framing is malformed"));
            abort();
            return false;
        }
        bytesIn += end - in.readerIndex();
        in.readerIndex(end);
        if (requestBody.done()) {
            body.ended();
        }
        return true;
    }

    @Override
    public boolean waitsForUpstream() {
        return !requestBody.done() && !body.flowing();
    }

    @Override
    public void flushUpstream() {
        // the invoker's connection to the worker flushes its own writes
    }

    @Override
    public void clientWritabilityChanged(boolean writable) {
        if (writable) {
            answerBody.drained();
        }
    }

    @Override
    public void clientGone() {
        if (finished) {
            return;
        }
        gone = true;
        finished = true;
        if (answering) {
            record(502); // the client must not take a cut answer for a whole one; it is counted as failed
        }
        body.failed(new IllegalStateException("the client has gone"));
    }

    @Override
    public void checkTimeout() {
        // the invoker holds the function to its own timeout
    }

    /** The request body as the invoker reads it: data bytes decoded from their framing, as the client sends them. */
    private final class Body implements ReadStream<Buffer>, Framing.Data {
        private Handler<Buffer> handler;
        private Handler<Void> endHandler;
        private Handler<Throwable> exceptionHandler;
        private long demand = Long.MAX_VALUE;
        private boolean ended;
        /** Why the body broke off before anyone listened for it: told to the exception handler once set. */
        private Throwable failure;

        boolean flowing() {
            return handler != null && demand > 0 && !ended;
        }

        @Override
        public void take(ByteBuf buf, int index, int length) {
            byte[] bytes = new byte[length];
            buf.getBytes(index, bytes);
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
            handler.handle(Buffer.buffer(bytes));
        }

        void ended() {
            ended = true;
            if (endHandler != null) {
                endHandler.handle(null);
            }
        }

        void failed(Throwable cause) {
            if (ended) {
                return;
            }
            ended = true;
            if (exceptionHandler != null) {
                exceptionHandler.handle(cause);
            } else {
                failure = cause;
            }
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            this.exceptionHandler = handler;
            Throwable missed = failure;
            if (missed != null && handler != null) {
                failure = null;
                handler.handle(missed);
            }
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> handler) {
            this.handler = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            demand = 0;
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            return fetch(Long.MAX_VALUE);
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            demand = amount == Long.MAX_VALUE || demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
            if (!client.inEventLoop()) {
                client.execute(this::wake);
            } else {
                wake();
            }
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> handler) {
            this.endHandler = handler;
            return this;
        }

        /** The invoker wants body bytes: a client that waits for {@code 100 Continue} gets it now. */
        private void wake() {
            if (!flowing() || finished) {
                return;
            }
            if (request.continues() && !continued && !requestBody.done()) {
                continued = true;
                client.write(Exchange.CONTINUE.duplicate());
            }
            client.handleInput();
        }
    }

    /** The answer's body as the invoker writes it, framed here; its pace is the client's. */
    private final class AnswerBody implements WriteStream<Buffer> {
        private Handler<Void> drain;

        void drained() {
            Handler<Void> h = drain;
            if (h != null) {
                h.handle(null);
            }
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public Future<Void> write(Buffer data) {
            if (!client.inEventLoop()) {
                client.execute(() -> write(data));
                return Future.succeededFuture();
            }
            if (gone) {
                return Future.failedFuture("the client has gone");
            }
            ByteBuf bytes = ((BufferInternal) data).getByteBuf();
            int n = bytes.readableBytes();
            if (finished || bodiless || n == 0) {
                return Future.succeededFuture();
            }
            ByteBuf out = client.alloc().directBuffer(n + 16);
            if (chunked) {
                out.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
                out.writeByte('\r').writeByte('\n');
            }
            out.writeBytes(bytes, bytes.readerIndex(), n);
            if (chunked) {
                out.writeByte('\r').writeByte('\n');
            }
            bytesOut += n;
            client.write(out);
            client.flush();
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> end() {
            if (!client.inEventLoop()) {
                client.execute(this::end);
                return Future.succeededFuture();
            }
            if (gone) {
                return Future.failedFuture("the client has gone");
            }
            if (!finished) {
                if (chunked) {
                    client.write(client.alloc().directBuffer(LAST_CHUNK.length).writeBytes(LAST_CHUNK));
                }
                FunctionCall.this.end();
            }
            return Future.succeededFuture();
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return !client.isWritable();
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            this.drain = handler;
            return this;
        }
    }

    private static Set<String> caseInsensitive(String... names) {
        TreeSet<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(java.util.List.of(names));
        return java.util.Collections.unmodifiableSet(set);
    }
}
