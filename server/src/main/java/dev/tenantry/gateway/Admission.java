package dev.tenantry.gateway;

import dev.tenantry.functions.Invoker;
import dev.tenantry.sdk.context.TenantContext;
import java.util.Optional;

/**
 * What becomes of a request, decided from its head alone: resolve the tenant, refuse what must
 * be refused, check the API key, take a token, find the route or the function.
 */
final class Admission {
    /** Where tenants' functions are served: {@code <tenant host>/fn/<name>}. */
    private static final String FUNCTIONS = "/fn/";
    private final Gateway.Shared shared;
    private final String tenantHeader;

    /** The outcome for one request. */
    sealed interface Decision permits Refused, Proxied, Function {
    }

    /** Answered by the gateway itself; {@code state} is the tenant's when there is one, for its metrics. */
    record Refused(Answers.Answer answer, Optional<TenantState> state) implements Decision {
    }

    /**
     * To the route's upstreams: which, how patiently, and with which rate limit figures for the
     * answer; {@code keyHeader} is the header that carried the API key (not forwarded), or "".
     */
    record Proxied(TenantState state, TenantState.CompiledRoute route, String keyHeader, Limiter.Verdict verdict)
            implements Decision {
        /** The upstream for the next attempt, avoiding {@code avoid} (null on the first). */
        Upstream pick(Upstream avoid) {
            return route.pick(avoid);
        }

        /** How many upstreams there are to choose from. */
        int upstreams() {
            return route.upstreams.length;
        }

        int retries() {
            return route.route.retries();
        }

        int connectTimeoutMs() {
            return route.route.connectTimeoutMs();
        }

        /** How long the upstream may stay silent (0: as long as it likes). */
        int timeoutMs() {
            return route.route.timeoutMs();
        }
    }

    /** To the tenant's function {@code name} on this node's invoker, which enforces the function's own limits. */
    record Function(TenantState state, Limiter.Verdict verdict, String name, Invoker invoker) implements Decision {
    }

    Admission(Gateway.Shared shared) {
        this.shared = shared;
        this.tenantHeader = shared.settings.tenantHeader().toLowerCase(java.util.Locale.ROOT);
    }

    Decision decide(HttpHead head, String path, boolean fromTrustedProxy) {
        TenantContext context = resolve(head, fromTrustedProxy);
        if (context == null) {
            shared.metrics.unknownHost();
            return new Refused(Answers.notFound(), Optional.empty());
        }
        TenantState state = shared.state(context);
        return switch (context.status()) {
            case "active" -> serve(head, state, path);
            case "provisioning" -> new Refused(Answers.provisioning(), Optional.of(state));
            case "suspended" -> new Refused(Answers.suspended(), Optional.of(state));
            case "failed" -> new Refused(Answers.unavailable(), Optional.of(state));
            default -> new Refused(Answers.notFound(), Optional.empty()); // deleting: gone as far as its users are concerned
        };
    }

    /** By the trusted front proxy's header (only from its addresses), else by the Host header. */
    private TenantContext resolve(HttpHead head, boolean fromTrustedProxy) {
        String named = fromTrustedProxy ? head.header(tenantHeader) : null;
        if (named != null) {
            return shared.index.bySlug(named).or(() -> shared.index.byId(named)).orElse(null);
        }
        return shared.index.host(head.header("host"));
    }

    private Decision serve(HttpHead head, TenantState state, String path) {
        if (path.startsWith(FUNCTIONS)) {
            return function(state, path);
        }
        TenantState.CompiledRoute route = state.route(path);
        if (route == null) {
            return new Refused(Answers.noRoute(), Optional.of(state));
        }
        String keyHeader = "";
        if (route.apiKey) {
            String secret = head.header("x-api-key");
            keyHeader = "x-api-key";
            if (secret == null) {
                String auth = head.header("authorization");
                if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                    secret = auth.substring(7).trim();
                    keyHeader = "authorization";
                }
            }
            if (secret == null) {
                return new Refused(Answers.unauthenticated(
                        "this route needs an API key: X-Api-Key: <key> or Authorization: Bearer <key>"), Optional.of(state));
            }
            if (state.authenticate(secret, System.currentTimeMillis()) == null) {
                return new Refused(Answers.unauthenticated("the API key is unknown, revoked or expired"), Optional.of(state));
            }
        }
        Limiter.Verdict verdict = state.limiter.check();
        return verdict.allowed() ? new Proxied(state, route, keyHeader, verdict) : throttled(state, verdict);
    }

    /** {@code /fn/<name>[/...]}: the tenant's function, under its plan's rate limit and quota. */
    private Decision function(TenantState state, String path) {
        int end = path.indexOf('/', FUNCTIONS.length());
        String name = path.substring(FUNCTIONS.length(), end < 0 ? path.length() : end);
        if (name.isEmpty()) {
            return new Refused(Answers.noRoute(), Optional.of(state));
        }
        Limiter.Verdict verdict = state.limiter.check();
        if (!verdict.allowed()) {
            return throttled(state, verdict);
        }
        Optional<Invoker> invoker = shared.functions.invoker();
        if (invoker.isEmpty()) {
            return new Refused(Answers.functionsUnavailable(shared.functions.unavailable()), Optional.of(state));
        }
        return new Function(state, verdict, name, invoker.get());
    }

    private static Refused throttled(TenantState state, Limiter.Verdict verdict) {
        state.meters.throttled();
        return new Refused(Answers.throttled(verdict), Optional.of(state));
    }
}
