package dev.tenantry.cli;

import dev.tenantry.sdk.ApiError;
import dev.tenantry.sdk.TenantryClientException;

/** The CLI's exit codes (docs/cli.md lists them). */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    public static final int UNAUTHORIZED = 4;
    public static final int CONFLICT = 5;
    public static final int INVALID = 6;
    public static final int UNAVAILABLE = 7;
    /** A waited-for operation did not finish in time (it goes on). */
    public static final int TIMEOUT = 8;

    private ExitCodes() {}

    /** The exit code for a failed API call. */
    public static int of(TenantryClientException e) {
        return switch (e) {
            case ApiError api -> switch (api.status()) {
                case 404 -> NOT_FOUND;
                case 401, 403 -> UNAUTHORIZED;
                case 409, 412 -> CONFLICT;
                case 400, 413, 415, 422 -> INVALID;
                default -> api.status() >= 500 ? UNAVAILABLE : FAILED;
            };
            case TenantryClientException.Unreachable u -> UNAVAILABLE;
        };
    }
}
