package io.cyclefleet.outbound;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into memory up to {@code cap} bytes. One batch of buffers is asked for at a time, so the
 * client reads no further ahead than that; a body over the cap, or {@link #cancel()}, cancels the subscription,
 * which makes the client close the connection: nothing keeps downloading once the caller has given up.
 */
final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

    /** The body was longer than the cap: not a transient failure, the same request would get the same answer. */
    static final class TooLarge extends IOException {
        TooLarge(int cap) {
            super("response body exceeds the " + size(cap) + " limit");
        }
    }

    private final int cap;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private byte[] bytes = new byte[0];
    private int length;
    private Flow.Subscription subscription;
    private boolean cancelled;
    private volatile boolean answered;

    CappedBody(int cap) {
        this.cap = cap;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        synchronized (this) {
            if (subscription == null && !cancelled) {
                subscription = s;
                s.request(1);
                return;
            }
        }
        s.cancel();
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        if (body.isDone()) {
            return; // cancelled or over the cap: the rest is dropped
        }
        for (ByteBuffer b : buffers) {
            if (b.remaining() > cap - length) {
                body.completeExceptionally(new TooLarge(cap));
                cancel();
                return;
            }
            if (length + b.remaining() > bytes.length) {
                // grows like a list, but never past the cap: the cap is the most this body can hold
                bytes = Arrays.copyOf(bytes, Math.min(cap, Math.max(length + b.remaining(), 2 * bytes.length)));
            }
            int n = b.remaining();
            b.get(bytes, length, n);
            length += n;
        }
        request();
    }

    @Override
    public void onError(Throwable t) {
        body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        body.complete(length == bytes.length ? bytes : Arrays.copyOf(bytes, length));
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    /** The handler for a request whose body this reads; it notes when the response's headers arrived. */
    HttpResponse.BodyHandler<byte[]> handler() {
        return info -> {
            answered = true;
            return this;
        };
    }

    /** Whether the response's headers arrived, so that what is missing is (some of) the body. */
    boolean answered() {
        return answered;
    }

    /** Stops reading: the subscription is cancelled now, or as soon as it arrives. Harmless once complete. */
    void cancel() {
        Flow.Subscription s;
        synchronized (this) {
            cancelled = true;
            s = subscription;
        }
        body.cancel(false); // buffers still on their way are dropped
        if (s != null) {
            s.cancel();
        }
    }

    private void request() {
        Flow.Subscription s;
        synchronized (this) {
            s = cancelled ? null : subscription;
        }
        if (s != null) {
            s.request(1);
        }
    }

    /** 1048576 → "1 MiB"; a cap that is not a whole number of MiB in bytes. */
    static String size(int cap) {
        return cap % (1 << 20) == 0 ? cap / (1 << 20) + " MiB" : cap + " bytes";
    }
}
