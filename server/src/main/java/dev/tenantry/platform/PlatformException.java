package dev.tenantry.platform;

/** The platform failed to start or run: configuration, data directory, database. */
public sealed class PlatformException extends RuntimeException permits ConfigException, PlatformException.DataDirLocked,
        PlatformException.DatabaseUnavailable, PlatformException.CannotListen {

    PlatformException(String message) {
        super(message);
    }

    PlatformException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Another node already runs on this data directory. */
    public static final class DataDirLocked extends PlatformException {
        public DataDirLocked(String message) {
            super(message);
        }
    }

    /** A port cannot be bound. */
    public static final class CannotListen extends PlatformException {
        public CannotListen(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The catalog database cannot be started or reached. */
    public static final class DatabaseUnavailable extends PlatformException {
        public DatabaseUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
