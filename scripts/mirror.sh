# Sourced by the README's commands before they cd to the project root: a relative
# SINKLAB_DATA_MIRROR means the directory the command was started from, for every step and test.
if [ -n "${SINKLAB_DATA_MIRROR:-}" ]; then
  SINKLAB_DATA_MIRROR="$(realpath -m -- "$SINKLAB_DATA_MIRROR")"
  export SINKLAB_DATA_MIRROR
fi
