package dev.tenantry.sdk.context;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One open change stream, read line by line by one thread. The HTTP client's threads hand over
 * what happens as signals in a queue, so the reader can wait with a timeout (a silent stream is a
 * dead one) and {@link #close} can abort the exchange at any point.
 */
final class ChangeStream implements AutoCloseable {
    private final URI uri;
    private final BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
    private final Lines lines = new Lines();
    private volatile CompletableFuture<HttpResponse<String>> response;

    private sealed interface Signal permits Opened, Line, Ended, Failed, Answered {
    }

    private record Opened() implements Signal {
    }

    private record Line(String text) implements Signal {
    }

    private record Ended() implements Signal {
    }

    private record Failed(Throwable cause) implements Signal {
    }

    /** The whole response, when it was not a 200 and so not a stream. */
    private record Answered(int status, String body) implements Signal {
    }

    private ChangeStream(URI uri) {
        this.uri = uri;
    }

    static ChangeStream open(HttpClient http, HttpRequest request) {
        ChangeStream stream = new ChangeStream(request.uri());
        stream.response = http.sendAsync(request, stream::subscriber);
        stream.response.whenComplete(stream::finished);
        return stream;
    }

    /** Waits for the node to accept the stream: returns on a 200, throws on anything else. */
    void awaitOpen(Duration timeout) throws IOException, InterruptedException {
        Signal signal = signals.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (signal == null) {
            throw new HttpTimeoutException("no answer from " + uri + " within " + timeout.toMillis() + " ms");
        }
        if (!(signal instanceof Opened)) {
            throw failure(signal);
        }
    }

    /** The next line, without its line break; throws when the stream ends, fails or stays silent for {@code timeout}. */
    String nextLine(Duration timeout) throws IOException, InterruptedException {
        Signal signal = signals.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (signal == null) {
            throw new HttpTimeoutException("no bytes from " + uri + " for " + timeout.toMillis()
                    + " ms, though the node sends heartbeats: the stream is dead");
        }
        if (signal instanceof Line line) {
            lines.more();
            return line.text();
        }
        throw failure(signal);
    }

    /** Aborts the exchange, whatever state it is in. */
    @Override
    public void close() {
        // the future's cancel aborts an exchange still connecting; the subscription's, one already streaming
        lines.cancel();
        response.cancel(true);
    }

    private IOException failure(Signal signal) {
        return switch (signal) {
            case Answered answered -> new ContextApi.Refused(uri, answered.status(), answered.body());
            case Failed failed -> ContextApi.unreachable(uri, failed.cause());
            case Ended ended -> new IOException("the node ended the change stream " + uri);
            case Opened opened -> new IOException("the change stream " + uri + " opened twice");
            case Line line -> new IOException("a line from " + uri + " before the stream opened");
        };
    }

    private BodySubscriber<String> subscriber(HttpResponse.ResponseInfo info) {
        if (info.statusCode() != 200) {
            return BodySubscribers.ofString(StandardCharsets.UTF_8);
        }
        signals.add(new Opened());
        return BodySubscribers.fromLineSubscriber(lines, done -> "", StandardCharsets.UTF_8, null);
    }

    private void finished(HttpResponse<String> answer, Throwable failure) {
        if (failure != null) {
            signals.add(new Failed(failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure));
        } else if (answer.statusCode() != 200) {
            signals.add(new Answered(answer.statusCode(), answer.body()));
        }
    }

    /** Takes the body's lines one at a time, so the queue never holds more than the reader has asked for. */
    private final class Lines implements Flow.Subscriber<String> {
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelled;

        @Override
        public void onSubscribe(Flow.Subscription given) {
            subscription = given;
            if (cancelled) {
                given.cancel();
            } else {
                given.request(1);
            }
        }

        @Override
        public void onNext(String line) {
            signals.add(new Line(line));
        }

        @Override
        public void onError(Throwable failure) {
            signals.add(new Failed(failure));
        }

        @Override
        public void onComplete() {
            signals.add(new Ended());
        }

        void more() {
            subscription.request(1);
        }

        void cancel() {
            cancelled = true;
            Flow.Subscription current = subscription;
            if (current != null) {
                current.cancel();
            }
        }
    }
}
