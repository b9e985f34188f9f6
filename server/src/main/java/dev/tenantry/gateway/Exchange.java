package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on its way to an upstream and its response on the way back: picks the upstream,
 * takes a pooled connection or opens one (retrying another upstream when it cannot), sends the
 * rewritten head and then the body as it comes, relays the response, and enforces the route's
 * timeout. A WebSocket's exchange becomes a tunnel after the upstream's {@code 101}.
 */
final class Exchange implements Serving {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    /** The interim answer to a client that waits before sending its body ({@code Expect: 100-continue}). */
    static final ByteBuf CONTINUE = Unpooled.unreleasableBuffer(
            Unpooled.copiedBuffer("HTTP/1.1 100 Continue\r\n\r\n", StandardCharsets.US_ASCII));
    private final ClientConnection client;
    private final HttpHead head;
    private final Request request;
    private final Framing requestBody;
    private final Admission.Proxied destination;
    private final boolean bodiless;
    private final long started = System.nanoTime();
    private Upstream upstream;
    private Upstream avoid;
    private UpstreamConnection connection;
    private int attempt;
    private boolean inFlight;
    private boolean requestSent;
    private boolean responseStarted;
    private boolean tunnel;
    private boolean closeDelimited;
    private boolean finished;
    private int status;
    private long bytesIn;
    private long bytesOut;
    private long lastActive;

    /** {@code head} is the request's; it stays as it is until this exchange ends. */
    Exchange(ClientConnection client, HttpHead head, Request request, Framing requestBody, Admission.Proxied destination) {
        this.client = client;
        this.head = head;
        this.request = request;
        this.requestBody = requestBody;
        this.destination = destination;
        this.bodiless = requestBody.done();
    }

    void start() {
        upstream = destination.pick(avoid);
        upstream.inFlight.incrementAndGet();
        upstream.requests.incrementAndGet();
        inFlight = true;
        UpstreamConnection idle = client.pool().take(upstream);
        if (idle != null) {
            attach(idle);
        } else {
            client.pool().connect(upstream, destination.connectTimeoutMs()).addListener(f -> connected((ChannelFuture) f));
        }
    }

    private void connected(ChannelFuture future) {
        if (finished) { // the client left meanwhile
            if (future.isSuccess()) {
                client.pool().give(UpstreamConnection.of(future.channel()));
            }
            return;
        }
        if (!future.isSuccess()) {
            leaveUpstream();
            upstream.eject();
            if (attempt < destination.retries() && destination.upstreams() > 1) { // nothing was sent yet
                retry();
            } else {
                fail(Answers.badGateway(true), future.cause());
            }
            return;
        }
        attach(UpstreamConnection.of(future.channel()));
    }

    private void retry() {
        attempt++;
        avoid = upstream;
        start();
    }

    private void attach(UpstreamConnection c) {
        connection = c;
        c.begin(this, client, request.bodilessResponse(), request.webSocket());
        ByteBuf out = c.alloc().directBuffer(head.length() + 512);
        client.forwarding().write(out, destination, request, head, client.peer(), upstream);
        c.write(out);
        if (request.continues() && !requestSent) {
            client.write(CONTINUE.duplicate());
        }
        requestSent = requestBody.done();
        lastActive = System.nanoTime();
        if (destination.timeoutMs() > 0) {
            client.checkExchangeBy(lastActive + TimeUnit.MILLISECONDS.toNanos(destination.timeoutMs()));
        }
        client.handleInput(); // sends what has come of the body, and flushes
    }

    /** Sends body bytes from {@code in} (all of them, once a tunnel); false when this exchange takes none now. */
    @Override
    public boolean takeRequestBytes(ByteBuf in) {
        if (tunnel) {
            connection.write(in.readRetainedSlice(in.readableBytes()));
            return true;
        }
        if (connection == null || requestSent) {
            return false;
        }
        int end = requestBody.scan(in);
        if (requestBody.malformed()) {
            cut("the client's chunked body is malformed");
            return false;
        }
        int n = end - in.readerIndex();
        if (n > 0) {
            connection.write(in.readRetainedSlice(n));
            bytesIn += n;
            lastActive = System.nanoTime();
        }
        requestSent = requestBody.done();
        if (!connection.isWritable()) {
            client.pauseReading(true);
        }
        return true;
    }

    @Override
    public void flushUpstream() {
        if (connection != null) {
            connection.flush();
        }
    }

    @Override
    public boolean waitsForUpstream() {
        return connection != null && !connection.isWritable();
    }

    void upstreamActive() {
        lastActive = System.nanoTime();
    }

    void upstreamWritabilityChanged(boolean writable) {
        if (writable) {
            client.pauseReading(false);
        }
    }

    @Override
    public void clientWritabilityChanged(boolean writable) {
        if (connection != null) {
            connection.pauseReading(!writable);
        }
    }

    void relayInterim(HttpHead response) {
        if (!request.http10()) {
            ByteBuf out = client.alloc().directBuffer(256);
            Forwarding.toClient(out, response, destination.verdict(), false, false);
            client.write(out);
        }
    }

    void relayHead(HttpHead response, int status, boolean closeDelimited) {
        this.status = status;
        this.closeDelimited = closeDelimited;
        responseStarted = true;
        ByteBuf out = client.alloc().directBuffer(512);
        Forwarding.toClient(out, response, destination.verdict(), false, closeDelimited || !request.keepAlive());
        client.write(out);
    }

    void relayBody(ByteBuf bytes) {
        bytesOut += bytes.readableBytes();
        client.write(bytes);
        if (!client.isWritable() && connection != null) {
            connection.pauseReading(true);
        }
    }

    /** The upstream accepted the WebSocket: from now on bytes pass both ways unread. */
    void upgraded(HttpHead response) {
        tunnel = true;
        responseStarted = true;
        ByteBuf out = client.alloc().directBuffer(512);
        Forwarding.toClient(out, response, destination.verdict(), true, false);
        client.write(out);
        destination.state().meters.record(101, 0, 0, 0);
        client.handleInput(); // frames the client sent early
    }

    /** The response is complete; {@code reusable}: the connection may serve another request. */
    void responseEnded(boolean reusable) {
        if (requestSent && reusable) {
            client.pool().give(connection);
        } else {
            connection.close(); // an upstream that answered before reading the whole body is out of step
        }
        connection = null;
        record(status);
        end(request.keepAlive() && requestSent && !closeDelimited);
    }

    /** The connection failed or closed before the response's end. */
    void upstreamLost(Throwable cause) {
        connection = null;
        if (tunnel || responseStarted) { // mid-response: the client must not take a cut response for a whole one
            if (!tunnel) {
                LOG.atDebug().addKeyValue("tenant", destination.state().context.slug()).addKeyValue("upstream", upstream.url)
                        .log("response cut: {}", cause.toString());
                record(502);
            }
            end(false);
            return;
        }
        leaveUpstream();
        boolean timedOut = cause instanceof Timeout;
        if (bodiless && request.idempotent() && !timedOut && attempt < destination.retries() && destination.upstreams() > 1) {
            retry();
            return;
        }
        fail(timedOut ? Answers.upstreamTimeout() : Answers.badGateway(false), cause);
    }

    /** The client's connection closed: let go of the upstream's. */
    @Override
    public void clientGone() {
        if (finished) {
            return;
        }
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (responseStarted && !tunnel) {
            record(502);
        }
        finish();
    }

    /** Times the exchange out if the upstream has been silent for the route's timeout, else has it checked again then. */
    @Override
    public void checkTimeout() {
        if (finished || tunnel || destination.timeoutMs() <= 0) {
            return;
        }
        long deadline = lastActive + TimeUnit.MILLISECONDS.toNanos(destination.timeoutMs());
        if (deadline - System.nanoTime() > 0) {
            client.checkExchangeBy(deadline);
            return;
        }
        UpstreamConnection c = connection;
        if (c != null) {
            c.close();
        }
        upstreamLost(new Timeout(destination.timeoutMs()));
        client.flush();
    }

    private void cut(String why) {
        LOG.atDebug().addKeyValue("tenant", destination.state().context.slug()).log("exchange cut: {}", why);
        if (connection != null) {
            connection.close();
            connection = null;
        }
        end(false);
    }

    private void fail(Answers.Answer answer, Throwable cause) {
        LOG.atDebug().addKeyValue("tenant", destination.state().context.slug()).addKeyValue("upstream", upstream.url)
                .log("upstream failed: {}", cause.toString());
        record(answer.status());
        client.answer(answer, request.bodilessResponse(), !request.keepAlive() || !requestSent);
        end(request.keepAlive() && requestSent);
    }

    private void record(int status) {
        destination.state().meters.record(status, System.nanoTime() - started, bytesIn, bytesOut);
    }

    private void end(boolean keepClientOpen) {
        finish();
        client.exchangeEnded(keepClientOpen);
    }

    private void finish() {
        finished = true;
        leaveUpstream();
    }

    private void leaveUpstream() {
        if (inFlight) {
            inFlight = false;
            upstream.inFlight.decrementAndGet();
        }
    }

    /** No byte came from or went to the upstream for the route's timeout. */
    private static final class Timeout extends Exception {
        Timeout(int ms) {
            super("no answer within " + ms + " ms", null, false, false);
        }
    }
}
