/**
 * The read side of the catalog: the change feed (numbered in commit order by the catalog's
 * triggers), a follower that keeps an in-memory {@link dev.tenantry.sdk.context.ContextIndex}
 * current from it (snapshot, then LISTEN/NOTIFY with polling as the safety net), and the
 * repair tool that rebuilds the state from the catalog. Depends on nothing of ours but the SDK's model.
 */
package dev.tenantry.context;
