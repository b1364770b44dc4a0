# Shared by the A/B scripts in bench/ (sourced, not run).

# Sets the array `order` to round R's order of the variants: as given in even rounds, reversed
# in odd ones, so that no variant always runs first (or right after the same neighbour).
ab_order() {
    local r=$1 i
    shift
    order=("$@")
    if ((r % 2 == 1)); then
        order=()
        for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
    fi
}
