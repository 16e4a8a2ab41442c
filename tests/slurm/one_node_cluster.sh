#!/usr/bin/env bash
# `sinklab ablate --slurm` on a real Slurm: a one-node cluster of this machine (its own munged,
# slurmctld and slurmd, all in a temporary folder, on ports of their own), a 3-run ablation
# submitted with the submit.sh that ablate writes; passes when every task finished its run and
# the dependent job wrote the comparison. Usage: one_node_cluster.sh SINKLAB_BINARY.
# Exits 77 (ctest: skipped, with the reason printed) when Slurm or munge is not installed or the
# test does not run as root (slurmd starts the jobs as their user); scripts/setup.sh does not
# install Slurm.
set -euo pipefail
sinklab=$(realpath "$1")

skip() { echo "skipped: $*"; exit 77; }
for tool in slurmctld slurmd munged sbatch squeue sinfo; do
  command -v "$tool" >/dev/null || skip "no $tool (apt-get install slurm-wlm munge to run this test)"
done
[ "$(id -u)" = 0 ] || skip "needs root: slurmd runs each job as its user"

tmp=$(mktemp -d)
chmod 755 "$tmp"  # munged wants its socket's folders reachable by everyone
started=()
cleanup() {
  for pidfile in "${started[@]}"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAILED: $*"
  for log in "$tmp"/*.log "$tmp"/runs/abl/slurm/*.out; do
    [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; }
  done
  exit 1
}

# munge, with a key and socket of its own: the machine's munge (if any) is left alone.
head -c 1024 /dev/urandom > "$tmp/munge.key"
chmod 600 "$tmp/munge.key"
started+=("$tmp/munged.pid")
munged --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" --pid-file="$tmp/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" || fail "munged did not start"

# Ports picked at random among the unprivileged ones, away from Slurm's defaults (6817, 6818).
port=$((20000 + RANDOM % 20000))
node=$(hostname -s)
mkdir -p "$tmp/state" "$tmp/spool"
cat > "$tmp/slurm.conf" <<EOF
ClusterName=sinklabtest
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$node CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
started+=("$tmp/slurmctld.pid" "$tmp/slurmd.pid")
slurmctld -c || fail "slurmctld did not start"
slurmd || fail "slurmd did not start"
for _ in $(seq 60); do
  [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] || fail "the node never became idle: $(sinfo 2>&1)"

# A tiny text data set and a 3-run ablation of a one-second config (tests/support/cli_fixture.cpp).
cd "$tmp"
words=(the cat sat on a mat and then it slept in sun)
for d in $(seq 0 119); do
  doc=""
  for w in $(seq 0 $((11 + d % 17))); do doc+="${words[$(((d * 5 + w * 7) % 12))]} "; done
  if [ $((d % 6)) = 0 ]; then printf '%s\n\n' "$doc" >> valid.txt; else printf '%s\n\n' "$doc" >> train.txt; fi
done
cat > tiny.yaml <<EOF
seed: 1
data: {name: text, path: $tmp/train.txt, valid_path: $tmp/valid.txt, tokenizer: byte, context: 16}
model: {d_model: 32, n_layer: 1, n_head: 2, d_ff: 64}
optim: {lr: 0.01, warmup: 2}
train: {steps: 4, batch_size: 4, eval_every: 4, eval_batches: 2, checkpoint_every: 4, log_every: 1}
EOF
printf 'base: tiny.yaml\ngrid:\n  optim.lr: [0.01, 0.02, 0.03]\n' > abl.yaml
export SINKLAB_RUNS_DIR="$tmp/runs" SINKLAB_DATA_DIR="$tmp/data"
"$sinklab" ablate abl.yaml --slurm --partition test --time 5 --cpus-per-task 1 > generate.log 2>&1 || fail "ablate --slurm: $(cat generate.log)"
bash runs/abl/slurm/submit.sh > submit.log 2>&1 || fail "submit.sh: $(cat submit.log)"
cat submit.log
for _ in $(seq 240); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h)" ] || fail "jobs still queued after 2 minutes: $(squeue)"

finished=$(grep -c '"status": "finished"' runs/abl/ablation.json || true)
[ "$finished" = 3 ] || fail "ablation.json lists $finished finished runs, not 3: $(cat runs/abl/ablation.json)"
for task in 0 1 2; do
  ls runs/abl/slurm/abl-*_"$task".out >/dev/null 2>&1 || fail "no log of task $task in runs/abl/slurm"
done
[ -f runs/abl/compare/report.html ] || fail "the dependent job wrote no runs/abl/compare/report.html"
echo "passed: 3 array tasks ran one run each, and the dependent job compared them"
