package dev.tenantry.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * One event loop's kept-alive connections to upstreams. A request takes a connection on the
 * event loop its client is on and gives it back there, so no request crosses threads. Only that
 * event loop touches a pool.
 */
final class UpstreamPool {
    /** Idle connections kept per upstream and event loop; more are closed when their request ends. */
    private static final int MAX_IDLE = 256;
    private final Bootstrap bootstrap;
    private final SslContext tls;
    private final Map<Upstream, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();

    /** {@code bootstrap} has the event loop, channel type, resolver and options; this pool adds the handlers. */
    UpstreamPool(Bootstrap bootstrap, SslContext tls) {
        this.bootstrap = bootstrap;
        this.tls = tls;
    }

    /** An idle connection to {@code upstream}, or null when there is none. */
    UpstreamConnection take(Upstream upstream) {
        ArrayDeque<UpstreamConnection> connections = idle.get(upstream);
        if (connections == null) {
            return null;
        }
        UpstreamConnection c;
        while ((c = connections.pollLast()) != null) {
            if (c.isOpen()) {
                return c;
            }
        }
        return null;
    }

    /** Takes back a connection whose exchange ended cleanly; closes it when enough are idle already. */
    void give(UpstreamConnection connection) {
        ArrayDeque<UpstreamConnection> connections = idle.computeIfAbsent(connection.upstream, u -> new ArrayDeque<>());
        if (connections.size() < MAX_IDLE && connection.isOpen()) {
            connections.addLast(connection);
        } else {
            connection.close();
        }
    }

    /** A connection closed: it is no longer offered. */
    void forget(UpstreamConnection connection) {
        ArrayDeque<UpstreamConnection> connections = idle.get(connection.upstream);
        if (connections != null) {
            connections.remove(connection);
        }
    }

    /** Opens a new connection (TLS for https upstreams); its {@link UpstreamConnection} is in the channel's pipeline. */
    ChannelFuture connect(Upstream upstream, int connectTimeoutMs) {
        return bootstrap.clone().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (upstream.ssl) {
                            ch.pipeline().addLast(tlsHandler(ch, upstream));
                        }
                        ch.pipeline().addLast(new UpstreamConnection(UpstreamPool.this, upstream));
                    }
                }).connect(upstream.host, upstream.port);
    }

    private SslHandler tlsHandler(Channel ch, Upstream upstream) {
        SslHandler handler = tls.newHandler(ch.alloc(), upstream.host, upstream.port);
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the upstream's host
        engine.setSSLParameters(parameters);
        return handler;
    }

    /** Closes the idle connections (on shutdown). */
    void close() {
        List<UpstreamConnection> all = new ArrayList<>();
        idle.values().forEach(all::addAll);
        idle.clear();
        all.forEach(UpstreamConnection::close);
    }
}
