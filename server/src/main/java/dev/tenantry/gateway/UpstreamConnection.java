package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;

/**
 * One connection to an upstream, serving one exchange at a time and then going back to its
 * event loop's pool. It finds where each response's head and body end and hands them to its
 * exchange as they come; after a WebSocket's {@code 101} it only passes bytes on.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    /** A response head larger than this is refused (the upstream is broken or hostile). */
    private static final int MAX_HEAD = 64 * 1024;
    final Upstream upstream;
    private final UpstreamPool pool;
    private final HttpHead head = new HttpHead();
    private final Framing body = new Framing();
    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private ClientConnection flushes; // the client this connection's reads were last relayed to
    private ByteBuf in;
    private boolean inBody;
    private boolean tunnel;
    private boolean reusable;
    private boolean bodilessResponse;
    private boolean webSocket;
    private boolean unflushed;

    UpstreamConnection(UpstreamPool pool, Upstream upstream) {
        this.pool = pool;
        this.upstream = upstream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Starts serving {@code exchange}; {@code bodilessResponse} for HEAD requests. */
    void begin(Exchange exchange, ClientConnection client, boolean bodilessResponse, boolean webSocket) {
        this.exchange = exchange;
        this.flushes = client;
        this.bodilessResponse = bodilessResponse;
        this.webSocket = webSocket;
        this.inBody = false;
        pauseReading(false); // the last exchange may have ended while its client could not take more
    }

    /** The handler of a channel opened by {@link UpstreamPool#connect}. */
    static UpstreamConnection of(io.netty.channel.Channel channel) {
        return channel.pipeline().get(UpstreamConnection.class);
    }

    boolean isOpen() {
        return ctx.channel().isActive();
    }

    boolean isWritable() {
        return ctx.channel().isWritable();
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    void write(ByteBuf bytes) {
        ctx.write(bytes, ctx.voidPromise());
        unflushed = true;
    }

    void flush() {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    void pauseReading(boolean paused) {
        if (ctx.channel().config().isAutoRead() == paused) {
            ctx.channel().config().setAutoRead(!paused);
        }
    }

    void close() {
        exchange = null;
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf bytes = (ByteBuf) msg;
        if (exchange == null) { // an idle connection has nothing to say; one that does cannot be trusted
            bytes.release();
            ctx.close();
            return;
        }
        exchange.upstreamActive();
        if (tunnel) {
            exchange.relayBody(bytes);
            return;
        }
        in = ClientConnection.append(ctx.alloc(), in, bytes);
        while (exchange != null && in.isReadable() && (inBody ? relayBody() : readHead())) {
            // each step relays one head or one run of body bytes
        }
        if (!in.isReadable()) {
            in.release();
            in = null;
        }
    }

    private boolean readHead() {
        int length = head.read(in, MAX_HEAD);
        if (length < 0) {
            if (in.readableBytes() >= MAX_HEAD) {
                lost(new IOException("the upstream's response head exceeds " + MAX_HEAD + " bytes"));
            }
            return false;
        }
        in.skipBytes(length);
        int status = head.parse() ? head.status() : -1;
        if (status < 0) {
            lost(new IOException("the upstream's response head is malformed"));
            return false;
        }
        if (status == 101) {
            if (!webSocket) { // the gateway asked for no upgrade: this upstream speaks something else now
                lost(new IOException("the upstream switched protocols unasked"));
                return false;
            }
            tunnel = true;
            exchange.upgraded(head);
            if (in.isReadable()) {
                exchange.relayBody(in.readRetainedSlice(in.readableBytes()));
            }
            return false;
        }
        if (status >= 100 && status < 200) {
            exchange.relayInterim(head);
            return true;
        }
        if (!frame(status)) {
            lost(new IOException("the upstream's response has an invalid Content-Length or Transfer-Encoding"));
            return false;
        }
        exchange.relayHead(head, status, body.untilClosed());
        inBody = true;
        if (body.done()) {
            end();
        }
        return true;
    }

    /** Finds how the body of this response is framed (RFC 9112 6.3), and whether the connection may serve again. */
    private boolean frame(int status) {
        int connection = head.indexOf("connection");
        reusable = head.responseIsHttp10() ? connection >= 0 && head.valueHasToken(connection, "keep-alive")
                : connection < 0 || !head.valueHasToken(connection, "close");
        int chunked = head.indexOf("transfer-encoding");
        int length = head.indexOf("content-length");
        if (bodilessResponse || status == 204 || status == 304) {
            body.none();
        } else if (chunked >= 0) {
            if (head.valueHasToken(chunked, "chunked")) {
                body.chunked();
            } else {
                body.untilClose();
            }
        } else if (length >= 0) {
            long n = head.contentLength(length);
            if (n < 0) {
                return false;
            }
            body.length(n);
        } else {
            body.untilClose();
        }
        reusable &= !body.untilClosed();
        return true;
    }

    private boolean relayBody() {
        int end = body.scan(in);
        if (body.malformed()) {
            lost(new IOException("the upstream's chunked body is malformed"));
            return false;
        }
        if (end > in.readerIndex()) {
            exchange.relayBody(in.readRetainedSlice(end - in.readerIndex()));
        }
        if (body.done()) {
            end();
        }
        return true;
    }

    private void end() {
        inBody = false;
        Exchange done = exchange;
        exchange = null;
        done.responseEnded(reusable && !in.isReadable()); // bytes after the response: the connection is out of step
    }

    private void lost(Throwable cause) {
        Exchange failed = exchange;
        exchange = null;
        ctx.close();
        if (failed != null) {
            failed.upstreamLost(cause);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flushes != null) {
            flushes.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.upstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.forget(this);
        if (in != null) {
            in.release();
            in = null;
        }
        if (exchange == null) {
            return;
        }
        if (inBody && body.untilClosed()) {
            Exchange done = exchange;
            exchange = null;
            done.responseEnded(false);
        } else {
            lost(new IOException("the upstream closed the connection"));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        lost(cause);
    }
}
