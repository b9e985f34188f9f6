package dev.tenantry.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's port, served by Netty on the node's Vert.x event loops (with Vert.x's transport:
 * native epoll on Linux, else NIO), so that a function call is handed to the invoker on the loop
 * it arrived on. Each event loop has its own upstream pool: a client's requests go out on
 * connections of the event loop the client is on.
 */
final class GatewayServer implements AutoCloseable {
    private final DnsAddressResolverGroup resolver;
    private final Channel listener;
    private final ChannelGroup clients;
    private final Map<EventLoop, Loop> loops;

    /** What connections on one event loop share: its upstream pool, and a Vert.x context of it for the invoker. */
    private record Loop(UpstreamPool pool, ContextInternal context) {
    }

    private GatewayServer(DnsAddressResolverGroup resolver, Channel listener, ChannelGroup clients, Map<EventLoop, Loop> loops) {
        this.resolver = resolver;
        this.listener = listener;
        this.clients = clients;
        this.loops = loops;
    }

    /** Binds the settings' host and port; throws when it cannot (the port is taken, say). */
    static GatewayServer start(Vertx vertx, Gateway.Shared shared) {
        VertxInternal node = (VertxInternal) vertx;
        Transport transport = node.transport();
        DnsAddressResolverGroup resolver = new DnsAddressResolverGroup(
                new DnsNameResolverBuilder().datagramChannelFactory(transport.datagramChannelFactory()));
        ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        try {
            Bootstrap upstreams = new Bootstrap().channelFactory(transport.channelFactory(false)).resolver(resolver)
                    .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
            SslContext tls = SslContextBuilder.forClient().build();
            Map<EventLoop, Loop> loops = new ConcurrentHashMap<>();
            Map<Integer, Forwarding> forwardings = new ConcurrentHashMap<>();
            Admission admission = new Admission(shared);
            Channel listener = new ServerBootstrap().group(node.acceptorEventLoopGroup(), node.nettyEventLoopGroup())
                    .channelFactory(transport.serverChannelFactory(false))
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            clients.add(ch);
                            Loop loop = loops.computeIfAbsent(ch.eventLoop(), l -> new Loop(new UpstreamPool(upstreams.clone(l), tls),
                                    node.contextBuilder().withEventLoop(l).build()));
                            int port = ((InetSocketAddress) ch.localAddress()).getPort();
                            Forwarding forwarding = forwardings.computeIfAbsent(port, p -> new Forwarding(shared, p));
                            ch.pipeline().addLast(new ClientConnection(shared, admission, forwarding, loop.pool(), loop.context()));
                        }
                    })
                    .bind(shared.settings.host(), shared.settings.port()).syncUninterruptibly().channel();
            return new GatewayServer(resolver, listener, clients, loops);
        } catch (Exception e) { // the bind's BindException comes through undeclared
            resolver.close();
            throw new IllegalStateException("the gateway cannot listen on " + shared.settings.host() + ":"
                    + shared.settings.port() + ": " + e, e);
        }
    }

    /** The port it listens on. */
    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        clients.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        loops.forEach((loop, l) -> loop.execute(l.pool()::close));
        resolver.close();
    }
}
