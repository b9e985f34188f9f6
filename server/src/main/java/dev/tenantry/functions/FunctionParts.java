package dev.tenantry.functions;

import dev.tenantry.catalog.Functions;

/** What the deployer, the builder and the invoker share: the registry, module states and store, the sealer. */
public record FunctionParts(Functions functions, ModuleStates modules, ModuleStore store, SecretSealer sealer) {}
