------------------------------- MODULE DeliveryGuarantees -------------------------------
(****************************************************************************************)
(* The delivery protocol of the deliverycheck reference cluster and the guarantees it   *)
(* promises, stated with the names of the checker's outcomes (shared HISTORY.md).       *)
(*                                                                                      *)
(* Modelled:                                                                            *)
(*  - senders: POST a message (client id m, idempotency key = m) and retry with the     *)
(*    same key after a timeout; "accepted" only when a response says so;                *)
(*  - the store: one transaction per send stores the server message and one delivery    *)
(*    row per owed device; the database acknowledges the commit, or the transaction     *)
(*    aborts (database or node crash before commit);                                    *)
(*  - delivery workers (one per node) that claim due rows with a lease (FOR UPDATE      *)
(*    SKIP LOCKED + lease expiry), push through the gateway, wait for the device's      *)
(*    ack, retry after an ack timeout, dead-letter after MaxAttempts attempts;          *)
(*  - node crashes with an immediate restart (the worker forgets what it was doing;     *)
(*    its lease stays in the database until it expires);                                *)
(*  - the network: send requests, responses, pushes and acks travel as unordered sets   *)
(*    (any delay and reordering); any of them can be lost; a send request can be        *)
(*    duplicated (a proxy or HTTP stack replaying it). The device link is a WebSocket   *)
(*    stream: it loses (connection drop) and delays, but never duplicates a frame; a    *)
(*    duplicate push only comes from the protocol's own retries;                        *)
(*  - devices that apply a push's effect and ack it, deduplicating by server message    *)
(*    id in exactly-once mode and applying every push otherwise;                        *)
(*  - receipts to the sender: accepted, delivered, read, each told once it is true;     *)
(*  - the three modes and the four known bugs of the reference node, as constants.      *)
(*                                                                                      *)
(* Faults (losses, duplicated requests, crashes, aborted commits, a lease or an ack     *)
(* timeout running out while the other side is merely slow) draw from a budget of       *)
(* MaxFaults: "the network eventually heals". Liveness (NoLoss) is stated under weak    *)
(* fairness of the protocol's own steps and that finite budget.                         *)
(*                                                                                      *)
(* Left out: time and backoff values (only their order matters here), jitter, cluster   *)
(* membership and gateway routing (a push reaches the device or is lost), users and     *)
(* recipients (a message is owed to the devices Owed[m]), the no-dead-letter and        *)
(* no-backoff bugs (they change performance, not these properties), device              *)
(* registration after acceptance, the `failed` receipt (it takes no part in the         *)
(* receipt checks), read requests that the server refuses (they change nothing).        *)
(****************************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
  Msgs,         \* client message ids (each is also the message's idempotency key)
  Devices,      \* every device ("user/device" in a recorded history)
  Owed,         \* Owed[m]: the devices message m is owed to (its recipients' devices)
  Workers,      \* delivery workers, one per node
  Mode,         \* "at-most-once", "at-least-once" or "exactly-once"
  Bugs,         \* the known bugs switched on, a subset of KnownBugs
  MaxSends,     \* how many times a sender submits one message (first send + retries)
  MaxAttempts,  \* pushes of one delivery row before it is dead-lettered
  MaxFaults     \* the fault budget: after this many faults the system is healed

Modes == {"at-most-once", "at-least-once", "exactly-once"}

\* For models: every message is owed to every device (bind with `Owed <- EveryDevice`).
EveryDevice == [m \in Msgs |-> Devices]
KnownBugs == {"ack-before-commit", "no-idempotency-key", "gateway-write-is-delivered", "no-lease"}

ASSUME ModeOK == Mode \in Modes
ASSUME BugsOK == Bugs \subseteq KnownBugs
ASSUME SetsOK == Msgs # {} /\ Devices # {} /\ Workers # {} /\ IsFiniteSet(Workers)
ASSUME OwedOK == Owed \in [Msgs -> SUBSET Devices]
ASSUME BoundsOK == /\ MaxSends \in Nat \ {0}
                   /\ MaxAttempts \in Nat \ {0}
                   /\ MaxFaults \in Nat

(* What the mode and the bugs switch.                                                   *)
KeyDedup    == Mode # "at-least-once" /\ "no-idempotency-key" \notin Bugs  \* UNIQUE(sender, key)
DeviceDedup == Mode = "exactly-once"                                       \* device keeps applied ids
Leases      == "no-lease" \notin Bugs
AckFirst    == "ack-before-commit" \in Bugs
WriteIsAck  == "gateway-write-is-delivered" \in Bugs
EffMax      == IF Mode = "at-most-once" THEN 1 ELSE MaxAttempts            \* push once, never retry

SIds == Msgs \X (1..MaxSends)     \* a server message: the transaction of send attempt k of m
Rows == SIds \X Devices           \* a delivery row: server message x device (used if owed)
MsgOf(r) == r[1][1]
DevOf(r) == r[2]
AnyRow == CHOOSE r \in Rows : TRUE  \* the row field of an idle worker, never read

Receipts == {"accepted", "delivered", "read"}
Rank(s) == CASE s = "none" -> 0 [] s = "accepted" -> 1 [] s = "delivered" -> 2 [] s = "read" -> 3

VARIABLES
  sent,     \* sent[m]: send attempts made by the sender of m
  cst,      \* cst[m]: the sender's view: "idle", "pending", "accepted" (ok), "unknown" (info)
  reqs,     \* send requests in flight: server message ids <<m, k>>
  resps,    \* "accepted" responses in flight, same ids
  txn,      \* txn[s]: "none", "open", "committed", "aborted"
  row,      \* row[r]: [st: "none"|"due"|"leased"|"delivered"|"dead", att: attempts, holder: lease]
  wk,       \* wk[w]: [ph: "idle"|"selected"|"waiting", row, att]: what worker w is doing
  pushes,   \* pushes in flight: [row, w, att]
  acks,     \* acks in flight: rows
  seen,     \* seen[d]: server message ids device d has applied (kept in exactly-once only)
  effects,  \* effects[<<m, d>>]: how many times d applied m's effect (the history's receives)
  told,     \* told[<<m, d>>]: the receipt states the sender has been told
  last,     \* last[<<m, d>>]: the last receipt state told, "none" before any
  faults    \* faults left in the budget

vars == <<sent, cst, reqs, resps, txn, row, wk, pushes, acks, seen, effects, told, last, faults>>

Idle == [ph |-> "idle", row |-> AnyRow, att |-> 0]
Pushes == [row: Rows, w: Workers, att: 1..MaxAttempts]

TypeOK ==
  /\ sent \in [Msgs -> 0..MaxSends]
  /\ cst \in [Msgs -> {"idle", "pending", "accepted", "unknown"}]
  /\ reqs \subseteq SIds /\ resps \subseteq SIds
  /\ txn \in [SIds -> {"none", "open", "committed", "aborted"}]
  /\ row \in [Rows -> [st: {"none", "due", "leased", "delivered", "dead"},
                       att: 0..MaxAttempts, holder: SUBSET Workers]]
  /\ wk \in [Workers -> [ph: {"idle", "selected", "waiting"}, row: Rows, att: 0..MaxAttempts]]
  /\ pushes \subseteq Pushes
  /\ acks \subseteq Rows
  /\ seen \in [Devices -> SUBSET SIds]
  /\ effects \in [Msgs \X Devices -> Nat]
  /\ told \in [Msgs \X Devices -> SUBSET Receipts]
  /\ last \in [Msgs \X Devices -> Receipts \cup {"none"}]
  /\ faults \in 0..MaxFaults

Init ==
  /\ sent = [m \in Msgs |-> 0]
  /\ cst = [m \in Msgs |-> "idle"]
  /\ reqs = {} /\ resps = {}
  /\ txn = [s \in SIds |-> "none"]
  /\ row = [r \in Rows |-> [st |-> "none", att |-> 0, holder |-> {}]]
  /\ wk = [w \in Workers |-> Idle]
  /\ pushes = {} /\ acks = {}
  /\ seen = [d \in Devices |-> {}]
  /\ effects = [p \in Msgs \X Devices |-> 0]
  /\ told = [p \in Msgs \X Devices |-> {}]
  /\ last = [p \in Msgs \X Devices |-> "none"]
  /\ faults = MaxFaults

(* The sender of m is told receipt state st for the devices ds.                         *)
Tell(m, ds, st) ==
  /\ told' = [p \in DOMAIN told |-> IF p[1] = m /\ p[2] \in ds THEN told[p] \cup {st} ELSE told[p]]
  /\ last' = [p \in DOMAIN last |-> IF p[1] = m /\ p[2] \in ds THEN st ELSE last[p]]

Fault == faults > 0 /\ faults' = faults - 1

-----------------------------------------------------------------------------------------
(* Senders                                                                              *)

Send(m) ==
  /\ cst[m] \in {"idle", "unknown"}
  /\ sent[m] < MaxSends
  /\ sent' = [sent EXCEPT ![m] = @ + 1]
  /\ cst' = [cst EXCEPT ![m] = "pending"]
  /\ reqs' = reqs \cup {<<m, sent[m] + 1>>}
  /\ UNCHANGED <<resps, txn, row, wk, pushes, acks, seen, effects, told, last, faults>>

\* The client gives up waiting (records info); it may then retry with the same key.
ClientTimeout(m) ==
  /\ cst[m] = "pending"
  /\ cst' = [cst EXCEPT ![m] = "unknown"]
  /\ UNCHANGED <<sent, reqs, resps, txn, row, wk, pushes, acks, seen, effects, told, last, faults>>

\* A response reaches the client; only the answer to the attempt it waits for counts.
ClientReceive(s) ==
  /\ s \in resps
  /\ resps' = resps \ {s}
  /\ cst' = IF cst[s[1]] = "pending" /\ sent[s[1]] = s[2]
            THEN [cst EXCEPT ![s[1]] = "accepted"] ELSE cst
  /\ UNCHANGED <<sent, reqs, txn, row, wk, pushes, acks, seen, effects, told, last, faults>>

-----------------------------------------------------------------------------------------
(* The store: one transaction per new message; the response after its commit.           *)

Committed(m) == \E k \in 1..MaxSends : txn[<<m, k>>] = "committed"
OpenTx(m) == \E k \in 1..MaxSends : txn[<<m, k>>] = "open"

\* With keys, a request for a key already committed is answered "accepted" again; one for a
\* key whose transaction is still open waits for it (the unique index blocks the insert).
HandleSendBody(s) ==
  LET m == s[1] IN
  \/ /\ KeyDedup /\ Committed(m)
     /\ resps' = resps \cup {s}
     /\ UNCHANGED txn
  \/ /\ ~(KeyDedup /\ (Committed(m) \/ OpenTx(m)))
     /\ txn[s] = "none"
     /\ txn' = [txn EXCEPT ![s] = "open"]
     /\ resps' = IF AckFirst THEN resps \cup {s} ELSE resps   \* BUG ack-before-commit

HandleSend(s) ==
  /\ s \in reqs
  /\ reqs' = reqs \ {s}
  /\ HandleSendBody(s)
  /\ UNCHANGED <<sent, cst, row, wk, pushes, acks, seen, effects, told, last, faults>>

\* The database acknowledges the commit: message and rows are durable; then "accepted".
Commit(s) ==
  /\ txn[s] = "open"
  /\ txn' = [txn EXCEPT ![s] = "committed"]
  /\ row' = [r \in Rows |-> IF r[1] = s /\ r[2] \in Owed[s[1]]
                            THEN [st |-> "due", att |-> 0, holder |-> {}] ELSE row[r]]
  /\ resps' = IF AckFirst THEN resps ELSE resps \cup {s}
  /\ Tell(s[1], Owed[s[1]], "accepted")
  /\ UNCHANGED <<sent, cst, reqs, wk, pushes, acks, seen, effects, faults>>

-----------------------------------------------------------------------------------------
(* Delivery workers                                                                     *)

Claimable(r) == row[r].st = "due" /\ row[r].att < EffMax

\* Returns a row to the queue (or to the dead-letter table once its attempts are used up).
Release(r) ==
  [row EXCEPT ![r] = [st |-> IF row[r].att >= EffMax THEN "dead" ELSE "due",
                      att |-> row[r].att, holder |-> {}]]

\* The gateway writes the push; with the bug, that write is counted as delivered.
PushOut(w, r, n) ==
  /\ pushes' = pushes \cup {[row |-> r, w |-> w, att |-> n]}
  /\ IF WriteIsAck
     THEN /\ row' = [row EXCEPT ![r] = [st |-> "delivered", att |-> n, holder |-> {}]]
          /\ wk' = [wk EXCEPT ![w] = Idle]
          /\ IF row[r].st # "delivered" THEN Tell(MsgOf(r), {DevOf(r)}, "delivered")
                                        ELSE UNCHANGED <<told, last>>
     ELSE /\ row' = [row EXCEPT ![r] = [st |-> IF Leases THEN "leased" ELSE row[r].st,
                                        att |-> n, holder |-> IF Leases THEN {w} ELSE {}]]
          /\ wk' = [wk EXCEPT ![w] = [ph |-> "waiting", row |-> r, att |-> n]]
          /\ UNCHANGED <<told, last>>

\* One transaction claims a due row (SKIP LOCKED, sets the lease, attempts + 1); then the push.
ClaimAndPush(w, r) ==
  /\ Leases
  /\ wk[w].ph = "idle"
  /\ Claimable(r)
  /\ PushOut(w, r, row[r].att + 1)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, acks, seen, effects, faults>>

\* BUG no-lease: a plain SELECT, no lock and no lease: two workers can select the same row ...
Select(w, r) ==
  /\ ~Leases
  /\ wk[w].ph = "idle"
  /\ Claimable(r)
  /\ wk' = [wk EXCEPT ![w] = [ph |-> "selected", row |-> r, att |-> row[r].att]]
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, pushes, acks, seen, effects, told, last, faults>>

\* ... and each then pushes it, writing the attempt count it read (a lost update).
PushSelected(w) ==
  /\ wk[w].ph = "selected"
  /\ PushOut(w, wk[w].row, wk[w].att + 1)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, acks, seen, effects, faults>>

\* The row this worker waits for is delivered: done.
WorkerDone(w) ==
  /\ wk[w].ph = "waiting"
  /\ row[wk[w].row].st = "delivered"
  /\ wk' = [wk EXCEPT ![w] = Idle]
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, pushes, acks, seen, effects, told, last, faults>>

\* A push or an ack of this worker's attempt is still travelling.
InFlight(w) ==
  \/ [row |-> wk[w].row, w |-> w, att |-> wk[w].att] \in pushes
  \/ wk[w].row \in acks

\* No ack in time: release the lease for a retry after backoff, or dead-letter the row.
TimeoutBody(w) ==
  LET r == wk[w].row IN
  /\ wk[w].ph = "waiting"
  /\ row[r].st # "delivered"
  /\ wk' = [wk EXCEPT ![w] = Idle]
  /\ row' = IF Leases
            THEN IF row[r].st = "leased" /\ row[r].holder = {w} THEN Release(r) ELSE row
            ELSE IF row[r].st = "due" /\ row[r].att >= EffMax THEN Release(r) ELSE row
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, pushes, acks, seen, effects, told, last>>

AckTimeout(w) == ~InFlight(w) /\ TimeoutBody(w) /\ UNCHANGED faults     \* push or ack was lost
AckTimeoutEarly(w) == InFlight(w) /\ TimeoutBody(w) /\ Fault            \* FAULT: only slow

\* A lease whose holder no longer works on the row (it crashed and restarted) expires.
Orphaned(r) == row[r].st = "leased" /\ \A w \in row[r].holder : ~(wk[w].ph = "waiting" /\ wk[w].row = r)

ExpireLease(r) ==
  /\ Orphaned(r)
  /\ row' = Release(r)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, wk, pushes, acks, seen, effects, told, last, faults>>

\* FAULT: the holder is alive but paused or slow, and its lease runs out.
ExpireLeaseEarly(r) ==
  /\ row[r].st = "leased" /\ ~Orphaned(r)
  /\ Fault
  /\ row' = Release(r)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, wk, pushes, acks, seen, effects, told, last>>

\* The delivered state is committed; then the sender is told "delivered" (once).
HandleAck(r) ==
  /\ r \in acks
  /\ acks' = acks \ {r}
  /\ IF row[r].st # "delivered"
     THEN /\ row' = [row EXCEPT ![r] = [st |-> "delivered", att |-> row[r].att, holder |-> {}]]
          /\ Tell(MsgOf(r), {DevOf(r)}, "delivered")
     ELSE UNCHANGED <<row, told, last>>
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, wk, pushes, seen, effects, faults>>

-----------------------------------------------------------------------------------------
(* Devices                                                                              *)

\* Apply the effect (unless already applied, with dedup), then ack.
Apply(p) ==
  LET r == p.row  d == DevOf(r)  s == r[1] IN
  /\ IF DeviceDedup /\ s \in seen[d]
     THEN UNCHANGED <<effects, seen>>
     ELSE /\ effects' = [effects EXCEPT ![<<MsgOf(r), d>>] = @ + 1]
          /\ seen' = IF DeviceDedup THEN [seen EXCEPT ![d] = @ \cup {s}] ELSE seen
  /\ acks' = acks \cup {r}

DeviceReceive(p) ==
  /\ p \in pushes
  /\ pushes' = pushes \ {p}
  /\ Apply(p)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, wk, told, last, faults>>

\* The user reads m on d; the server accepts the read only once the row is delivered.
Read(m, d) ==
  /\ effects[<<m, d>>] >= 1
  /\ "read" \notin told[<<m, d>>]
  /\ \E k \in 1..MaxSends : row[<<<<m, k>>, d>>].st = "delivered"
  /\ Tell(m, {d}, "read")
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, wk, pushes, acks, seen, effects, faults>>

-----------------------------------------------------------------------------------------
(* Faults, each drawing from the budget                                                 *)

LoseRequest(s) == s \in reqs /\ reqs' = reqs \ {s} /\ Fault
  /\ UNCHANGED <<sent, cst, resps, txn, row, wk, pushes, acks, seen, effects, told, last>>
DuplicateRequest(s) == s \in reqs /\ HandleSendBody(s) /\ Fault    \* handled, and still in flight
  /\ UNCHANGED <<sent, cst, reqs, row, wk, pushes, acks, seen, effects, told, last>>
LoseResponse(s) == s \in resps /\ resps' = resps \ {s} /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, txn, row, wk, pushes, acks, seen, effects, told, last>>
Abort(s) == txn[s] = "open" /\ txn' = [txn EXCEPT ![s] = "aborted"] /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, resps, row, wk, pushes, acks, seen, effects, told, last>>
LosePush(p) == p \in pushes /\ pushes' = pushes \ {p} /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, wk, acks, seen, effects, told, last>>
LoseAck(r) == r \in acks /\ acks' = acks \ {r} /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, wk, pushes, seen, effects, told, last>>
CrashNode(w) == wk[w].ph # "idle" /\ wk' = [wk EXCEPT ![w] = Idle] /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, row, pushes, acks, seen, effects, told, last>>

-----------------------------------------------------------------------------------------

\* The protocol's own steps: the ones fairness makes happen.
Protocol ==
  \/ \E s \in SIds : HandleSend(s) \/ Commit(s) \/ ClientReceive(s)
  \/ \E w \in Workers : \/ \E r \in Rows : ClaimAndPush(w, r) \/ Select(w, r)
                        \/ PushSelected(w) \/ WorkerDone(w) \/ AckTimeout(w)
  \/ \E r \in Rows : ExpireLease(r) \/ HandleAck(r)
  \/ \E p \in Pushes : DeviceReceive(p)

\* What users and the environment may do, or never do.
Environment ==
  \/ \E m \in Msgs : Send(m) \/ ClientTimeout(m)
  \/ \E m \in Msgs, d \in Devices : Read(m, d)
  \/ \E s \in SIds : LoseRequest(s) \/ DuplicateRequest(s) \/ LoseResponse(s) \/ Abort(s)
  \/ \E p \in Pushes : LosePush(p)
  \/ \E r \in Rows : LoseAck(r) \/ ExpireLeaseEarly(r)
  \/ \E w \in Workers : CrashNode(w) \/ AckTimeoutEarly(w)

Next == Protocol \/ Environment

\* Every protocol step changes some counter monotonically, so behaviours are finite up to
\* stuttering, and weak fairness of Protocol as a whole makes a behaviour end only where no
\* protocol step is possible.
Spec == Init /\ [][Next]_vars /\ WF_vars(Protocol)

-----------------------------------------------------------------------------------------
(* The guarantees, named as the checker's outcomes (HISTORY.md "Verdicts").             *)

Accepted(m) == cst[m] = "accepted"
Applied(m, d) == effects[<<m, d>>] >= 1

\* lost: every accepted message is eventually applied on every owed device (liveness).
NoLoss == \A m \in Msgs : Accepted(m) ~> \A d \in Owed[m] : Applied(m, d)

\* The safety form of no loss: an accepted message is durably stored (a row per owed device;
\* rows are never deleted, only marked delivered or dead) from the moment the sender hears so.
AcceptedIsDurable == \A m \in Msgs : Accepted(m) => Committed(m)

\* duplicated: no device applies a message's effect twice.
NoDuplicateEffect == \A p \in Msgs \X Devices : effects[p] <= 1

\* unexpected / resurrected / misrouted: no effect of a message the store never committed,
\* nor on a device the message is not owed to.
NoUnexpected == \A m \in Msgs, d \in Devices : Applied(m, d) => Committed(m) /\ d \in Owed[m]

\* false-delivered: "delivered" is told only after the device applied the message.
NoFalseDelivered == \A p \in Msgs \X Devices : "delivered" \in told[p] => effects[p] >= 1

\* read-before-delivered: "read" only after a receive or a "delivered" receipt.
NoReadBeforeDelivered ==
  \A p \in Msgs \X Devices : "read" \in told[p] => (effects[p] >= 1 \/ "delivered" \in told[p])

\* regressed: a receipt never ranks below the one told before it.
ReceiptsMonotonic == [][\A p \in Msgs \X Devices : Rank(last'[p]) >= Rank(last[p])]_last

-----------------------------------------------------------------------------------------
(* Not a guarantee: a reachability check, so that passing models are not passing vacuously.*)

\* Claims that no message ever gets through: accepted, applied on every device and read
\* there. A model that checks it must find it violated, with the happy path as its trace.
HappyPathUnreachable ==
  ~\E m \in Msgs : Accepted(m) /\ Owed[m] # {} /\ \A d \in Owed[m] : Applied(m, d) /\ "read" \in told[<<m, d>>]

=========================================================================================
