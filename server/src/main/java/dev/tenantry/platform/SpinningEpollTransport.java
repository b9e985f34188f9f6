package dev.tenantry.platform;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.IntSupplier;
import io.vertx.core.impl.transports.EpollTransport;
import io.vertx.core.transport.Transport;
import java.util.function.LongSupplier;

/**
 * Vert.x's epoll transport, except that an event loop, once woken, goes on polling (without
 * blocking) for a short window before it sleeps in epoll again. A request through the gateway
 * crosses the loop twice (the client's request, then the upstream's answer), a few tens of
 * microseconds apart; on a virtual machine an idle CPU halts, and waking it again costs more than
 * the proxying itself. An answer that comes within the window finds the loop still running. The
 * window starts at each wake-up and at each batch of events, so a busy loop never sleeps and an
 * idle one spends at most one window of CPU per wake-up.
 */
final class SpinningEpollTransport extends EpollTransport {
    private final long spinNanos;

    SpinningEpollTransport(long spinNanos) {
        this.spinNanos = spinNanos;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return EpollIoHandler.newFactory(0, () -> new Spin(spinNanos, System::nanoTime));
    }

    /** This transport in the form Vert.x's builder takes. */
    Transport asVertxTransport() {
        SpinningEpollTransport self = this;
        return new Transport() {
            @Override
            public String name() {
                return "epoll";
            }

            @Override
            public boolean available() {
                return self.isAvailable();
            }

            @Override
            public Throwable unavailabilityCause() {
                return self.unavailabilityCause();
            }

            @Override
            public io.vertx.core.spi.transport.Transport implementation() {
                return self;
            }
        };
    }

    /** One event loop's strategy (each loop has its own: nothing is shared between threads). */
    static final class Spin implements SelectStrategy {
        private final long spinNanos;
        private final LongSupplier clock;
        private long since;
        private boolean slept = true;

        Spin(long spinNanos, LongSupplier clock) {
            this.spinNanos = spinNanos;
            this.clock = clock;
        }

        @Override
        public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
            if (hasTasks) {
                return selectNow.get(); // as Netty's default: take what is ready, then run the tasks
            }
            long now = clock.getAsLong();
            if (slept) { // back from a blocking wait: something happened, and more may follow
                slept = false;
                since = now;
            }
            int ready = selectNow.get();
            if (ready > 0) {
                since = now;
                return ready;
            }
            if (now - since < spinNanos) {
                Thread.onSpinWait();
                return SelectStrategy.CONTINUE;
            }
            slept = true;
            return SelectStrategy.SELECT;
        }
    }
}
