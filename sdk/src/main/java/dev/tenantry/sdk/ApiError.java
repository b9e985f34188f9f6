package dev.tenantry.sdk;

import java.util.List;

/** The API refused a request (4xx/5xx); carries the problem document it sent. */
public final class ApiError extends TenantryClientException {
    private final Models.Problem problem;

    public ApiError(Models.Problem problem) {
        super(problem.status() + " " + problem.title() + ": " + problem.detail());
        this.problem = problem;
    }

    public int status() {
        return problem.status();
    }

    public Models.Problem problem() {
        return problem;
    }

    /** One line a person can read: the detail and every bad field. */
    public String oneLine() {
        List<Models.FieldError> errors = problem.errors().orElse(List.of());
        StringBuilder line = new StringBuilder(problem.detail() == null ? problem.title() : problem.detail());
        if (errors.size() > 1 || (errors.size() == 1 && !line.toString().contains(errors.get(0).reason()))) {
            line.append(" (");
            for (int i = 0; i < errors.size(); i++) {
                line.append(i == 0 ? "" : "; ").append(errors.get(i).field()).append(": ").append(errors.get(i).reason());
            }
            line.append(")");
        }
        return line + " [HTTP " + problem.status() + ", request " + problem.requestId() + "]";
    }
}
