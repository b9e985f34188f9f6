package dev.tenantry.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's port, served by Netty on its own event loops (native epoll on Linux, else NIO).
 * Each event loop has its own upstream pool: a client's requests go out on connections of the
 * event loop the client is on.
 */
final class GatewayServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final DnsAddressResolverGroup resolver;
    private final Channel listener;
    private final Map<EventLoop, UpstreamPool> pools;

    private record Transport(IoHandlerFactory io, Class<? extends ServerChannel> server, Class<? extends SocketChannel> socket,
                             Class<? extends DatagramChannel> datagram) {
        static Transport best() {
            return Epoll.isAvailable()
                    ? new Transport(EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class,
                            EpollDatagramChannel.class)
                    : new Transport(NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                            NioDatagramChannel.class);
        }
    }

    private GatewayServer(EventLoopGroup group, DnsAddressResolverGroup resolver, Channel listener,
                          Map<EventLoop, UpstreamPool> pools) {
        this.group = group;
        this.resolver = resolver;
        this.listener = listener;
        this.pools = pools;
    }

    /** Binds the settings' host and port; throws when it cannot (the port is taken, say). */
    static GatewayServer start(Gateway.Shared shared, FunctionHop hop) {
        Transport transport = Transport.best();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(Math.max(1, shared.settings.eventLoops()),
                new DefaultThreadFactory("tenantry-gateway"), transport.io());
        DnsAddressResolverGroup resolver = new DnsAddressResolverGroup(
                new DnsNameResolverBuilder().datagramChannelType(transport.datagram()));
        try {
            Bootstrap upstreams = new Bootstrap().channel(transport.socket()).resolver(resolver)
                    .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
            SslContext tls = SslContextBuilder.forClient().build();
            Map<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
            Map<Integer, Forwarding> forwardings = new ConcurrentHashMap<>();
            Admission admission = new Admission(shared, hop.upstream());
            Channel listener = new ServerBootstrap().group(group).channel(transport.server())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            UpstreamPool pool = pools.computeIfAbsent(ch.eventLoop(),
                                    loop -> new UpstreamPool(upstreams.clone(loop), tls));
                            int port = ((InetSocketAddress) ch.localAddress()).getPort();
                            Forwarding forwarding = forwardings.computeIfAbsent(port, p -> new Forwarding(shared, hop, p));
                            ch.pipeline().addLast(new ClientConnection(shared, admission, forwarding, pool));
                        }
                    })
                    .bind(shared.settings.host(), shared.settings.port()).syncUninterruptibly().channel();
            return new GatewayServer(group, resolver, listener, pools);
        } catch (Exception e) { // the bind's BindException comes through undeclared
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
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
        pools.forEach((loop, pool) -> loop.execute(pool::close));
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        resolver.close();
    }
}
