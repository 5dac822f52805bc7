package io.deliverycheck.systems;

import java.util.List;
import java.util.Objects;

/**
 * One {@code --system-opt K=V} a system accepts.
 *
 * @param name the key, e.g. {@code queue-type}
 * @param defaultValue its value when not given
 * @param values the allowed values, or empty when any value of the right shape is allowed (then
 *     {@code description} says which)
 * @param description one line for {@code deliverycheck systems}
 */
public record SystemOption(String name, String defaultValue, List<String> values, String description) {

    public SystemOption {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(defaultValue, "defaultValue");
        values = values == null ? List.of() : List.copyOf(values);
        if (!values.isEmpty() && !values.contains(defaultValue)) {
            throw new IllegalArgumentException("option " + name + ": default " + defaultValue + " not among " + values);
        }
    }
}
