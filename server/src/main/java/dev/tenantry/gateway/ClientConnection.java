package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.internal.ContextInternal;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's connection: reads request heads, has each admitted or refused, and runs one
 * exchange at a time; requests the client pipelines wait in the read buffer for their turn.
 * Writes are flushed once per read, not once per message. Silent connections are closed after
 * the idle timeout, also while their headers are still arriving.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    /** The longest request line (its target, mostly) accepted, besides the header fields' limit. */
    private static final int MAX_START_LINE = 8 * 1024;
    /** Pipelined bytes held while a request is served; past this, reading pauses. */
    private static final int MAX_WAITING = 64 * 1024;
    private final Gateway.Shared shared;
    private final Admission admission;
    private final Forwarding forwarding;
    private final UpstreamPool pool;
    private final ContextInternal context;
    private final HttpHead head = new HttpHead();
    private final Framing requestBody = new Framing();
    private final long idleNanos;
    private ChannelHandlerContext ctx;
    private Peer peer;
    private ByteBuf in; // received and not yet handled
    private Serving exchange;
    private boolean handling;
    private boolean closing;
    private boolean unflushed;
    private boolean readingPaused;
    private long lastActive;
    private ScheduledFuture<?> idleCheck;
    private ScheduledFuture<?> exchangeCheck;
    private long exchangeCheckAt;

    /** {@code pool} and {@code context} are of the event loop the connection is on. */
    ClientConnection(Gateway.Shared shared, Admission admission, Forwarding forwarding, UpstreamPool pool, ContextInternal context) {
        this.shared = shared;
        this.admission = admission;
        this.forwarding = forwarding;
        this.pool = pool;
        this.context = context;
        this.idleNanos = shared.settings.idleTimeout().toNanos();
    }

    /** Appends {@code more} to {@code buffer} (either may be the result); {@code buffer} may be null. */
    static ByteBuf append(ByteBufAllocator alloc, ByteBuf buffer, ByteBuf more) {
        if (buffer == null) {
            return more;
        }
        ByteBuf joined = alloc.directBuffer(buffer.readableBytes() + more.readableBytes());
        joined.writeBytes(buffer).writeBytes(more);
        buffer.release();
        more.release();
        return joined;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        peer = new Peer(remote.getAddress().getHostAddress(), shared.trusts(remote.getAddress().getHostAddress()));
        lastActive = System.nanoTime();
        idleCheck = ctx.executor().schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActive = System.nanoTime();
        in = append(ctx.alloc(), in, (ByteBuf) msg);
        handleInput();
    }

    /** Handles what has been received, as far as it can now; then flushes both ways. */
    void handleInput() {
        if (handling) {
            return; // the loop below goes on
        }
        handling = true;
        try {
            while (in != null && in.isReadable() && !closing
                    && (exchange != null ? exchange.takeRequestBytes(in) : startRequest())) {
                // each step starts a request or sends body bytes
            }
        } finally {
            handling = false;
        }
        if (in != null && !in.isReadable()) {
            in.release();
            in = null;
        }
        flush();
        if (exchange != null) {
            exchange.flushUpstream();
        }
        pauseReading(exchange != null && (exchange.waitsForUpstream() || (in != null && in.readableBytes() > MAX_WAITING)));
    }

    private boolean startRequest() {
        HttpHead.skipBlankLines(in);
        int max = shared.settings.maxHeaderBytes() + MAX_START_LINE;
        int length = head.read(in, max);
        if (length < 0) {
            if (in.readableBytes() >= max) {
                answer(Answers.headersTooLarge(), false, true);
                close();
            }
            return false;
        }
        in.skipBytes(length);
        if (length - head.startLineLength() > shared.settings.maxHeaderBytes() || head.startLineLength() > MAX_START_LINE) {
            answer(head.startLineLength() > MAX_START_LINE ? Answers.uriTooLong() : Answers.headersTooLarge(), false, true);
            close();
            return false;
        }
        Optional<Request> request = head.parse() ? Request.of(head) : Optional.empty();
        if (request.isEmpty() || !frameBody()) {
            answer(Answers.badRequest(), false, true);
            close();
            return false;
        }
        return dispatch(request.get());
    }

    /** Finds the request body's framing; false when it is ambiguous or unsupported (request smuggling starts there). */
    private boolean frameBody() {
        int chunked = head.indexOf("transfer-encoding");
        int length = head.indexOf("content-length");
        if (chunked >= 0) {
            requestBody.chunked();
            return length < 0 && head.lastOfName(chunked, "transfer-encoding")
                    && head.value(chunked).strip().equalsIgnoreCase("chunked");
        }
        if (length >= 0) {
            long n = head.contentLength(length);
            requestBody.length(Math.max(0, n));
            return n >= 0 && head.lastOfName(length, "content-length");
        }
        requestBody.none();
        return true;
    }

    private boolean dispatch(Request request) {
        long started = System.nanoTime();
        switch (admission.decide(head, request.path(), peer.trusted())) {
            case Admission.Refused refused -> {
                refused.state().ifPresent(s -> s.meters.record(refused.answer().status(), System.nanoTime() - started, 0, 0));
                boolean close = !request.keepAlive() || !requestBody.done(); // an unread body: the connection goes
                answer(refused.answer(), request.bodilessResponse(), close);
                if (close) {
                    close();
                }
                return !close;
            }
            case Admission.Proxied proxied -> {
                Exchange proxying = new Exchange(this, head, request, requestBody, proxied);
                exchange = proxying;
                proxying.start();
                return true;
            }
            case Admission.Function function -> {
                FunctionCall call = new FunctionCall(this, head, request, requestBody, function);
                exchange = call;
                call.start(context);
                return true;
            }
        }
    }

    /** The exchange is over; the next pipelined request (if any) goes, or the connection closes. */
    void exchangeEnded(boolean keepOpen) {
        exchange = null;
        if (!keepOpen) {
            close();
            return;
        }
        handleInput();
    }

    /** Writes one of the gateway's own answers. */
    void answer(Answers.Answer answer, boolean bodiless, boolean close) {
        ByteBuf out = ctx.alloc().directBuffer(256 + answer.body().length);
        answer.writeTo(out, close, bodiless);
        write(out);
    }

    void write(ByteBuf bytes) {
        ctx.write(bytes, ctx.voidPromise());
        unflushed = true;
        lastActive = System.nanoTime();
    }

    void flush() {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    /** Closes once what was written is flushed. */
    private void close() {
        if (!closing) {
            closing = true;
            unflushed = false;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    void pauseReading(boolean paused) {
        if (paused != readingPaused) {
            readingPaused = paused;
            ctx.channel().config().setAutoRead(!paused);
        }
    }

    boolean inEventLoop() {
        return ctx.executor().inEventLoop();
    }

    void execute(Runnable task) {
        ctx.executor().execute(task);
    }

    boolean isWritable() {
        return ctx.channel().isWritable();
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    UpstreamPool pool() {
        return pool;
    }

    Forwarding forwarding() {
        return forwarding;
    }

    Peer peer() {
        return peer;
    }

    /**
     * Has the current exchange check its timeout at {@code deadline} ({@link System#nanoTime}) or
     * before. One check per connection is pending at a time, so that back-to-back requests do not
     * each schedule and cancel a timer.
     */
    void checkExchangeBy(long deadline) {
        if (exchangeCheck != null) {
            if (exchangeCheckAt - deadline <= 0) {
                return;
            }
            exchangeCheck.cancel(false);
        }
        exchangeCheckAt = deadline;
        exchangeCheck = ctx.executor().schedule(this::checkExchange, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void checkExchange() {
        exchangeCheck = null;
        if (exchange != null) {
            exchange.checkTimeout();
        }
    }

    private void checkIdle() {
        long idle = System.nanoTime() - lastActive;
        if (idle >= idleNanos) {
            ctx.close();
        } else {
            idleCheck = ctx.executor().schedule(this::checkIdle, idleNanos - idle, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.clientWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        idleCheck.cancel(false);
        if (exchangeCheck != null) {
            exchangeCheck.cancel(false);
        }
        if (exchange != null) {
            exchange.clientGone();
            exchange = null;
        }
        if (in != null) {
            in.release();
            in = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.atDebug().log("client connection failed: {}", cause.toString());
        ctx.close();
    }
}
