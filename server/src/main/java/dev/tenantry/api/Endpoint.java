package dev.tenantry.api;

/** One route's logic, run on a virtual thread: plain blocking code from request to reply. */
@FunctionalInterface
interface Endpoint {
    Reply handle(Call call);
}
