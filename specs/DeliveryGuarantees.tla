------------------------------- MODULE DeliveryGuarantees -------------------------------
(****************************************************************************************)
(* The delivery protocol of the deliverycheck reference cluster and the guarantees it   *)
(* promises, stated with the names of the checker's outcomes (shared HISTORY.md, v2).   *)
(*                                                                                      *)
(* Modelled:                                                                            *)
(*  - one sender: POSTs messages (client id m, idempotency key = m) and retries with    *)
(*    the same key after a timeout; "accepted" only when a response says so;            *)
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
(*  - receipts: every state change (accepted, delivered, read, failed) appends its      *)
(*    receipt to the sender's receipt log in the same transaction; the sender's         *)
(*    receipts socket is told the log in order and can drop and reconnect. Receipts     *)
(*    "durable": a reconnecting sender resumes from its cursor, and a state ranked at   *)
(*    or below the last one told for the same client id is not told again; "live":      *)
(*    what the sender misses while disconnected is gone (the node before contract v2);  *)
(*  - delivery order "none" (each row is claimed on its own, the reference node) or     *)
(*    "per-sender" (a row waits until every row of an earlier-committed message of the  *)
(*    same sender to the same device is delivered or dead: the ordered variant);        *)
(*  - the three modes and the four known bugs of the reference node, as constants, and  *)
(*    one bug the node does not plant (fan-out-to-every-device), so that NoMisrouted    *)
(*    has a model that breaks it.                                                       *)
(*                                                                                      *)
(* Faults (losses, duplicated requests, crashes, aborted commits, a lease or an ack     *)
(* timeout running out while the other side is merely slow, a dropped receipts socket)  *)
(* draw from a budget of MaxFaults: "the network eventually heals". Liveness (NoLoss,   *)
(* NoUnresolved) is stated under weak fairness of the protocol's own steps and that     *)
(* finite budget. Each fault costs a delivery row at most one attempt, so a row is      *)
(* dead-lettered only after EffMax faults (DeadLetterNeedsFaults): NoLoss assumes       *)
(* FaultsFewerThanAttempts, and a model whose faults outlast the attempts shows         *)
(* dead-lettering as loss (the sender is told "failed": resolved, not delivered).       *)
(*                                                                                      *)
(* Left out: time and backoff values (only their order matters here), jitter, cluster   *)
(* membership and gateway routing (a push reaches the device or is lost), users and     *)
(* recipients (a message is owed to the devices Owed[m]), several senders (order is per *)
(* sender, so one is enough), the no-dead-letter and no-backoff bugs (they change       *)
(* performance, not these properties, within a finite fault budget), device             *)
(* registration after acceptance, read requests that the server refuses (they change    *)
(* nothing).                                                                            *)
(****************************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences

CONSTANTS
  Msgs,         \* client message ids (each is also the message's idempotency key)
  Devices,      \* every device ("user/device" in a recorded history)
  Owed,         \* Owed[m]: the devices message m is owed to (its recipients' devices)
  Workers,      \* delivery workers, one per node
  Mode,         \* "at-most-once", "at-least-once" or "exactly-once"
  Bugs,         \* the bugs switched on, a subset of KnownBugs \cup ModelBugs
  Receipts,     \* "durable" or "live": what a sender that reconnects is told
  Order,        \* "none" or "per-sender": whether delivery keeps each sender's order
  MaxSends,     \* how many times a sender submits one message (first send + retries)
  MaxAttempts,  \* pushes of one delivery row before it is dead-lettered
  MaxFaults     \* the fault budget: after this many faults the system is healed

Modes == {"at-most-once", "at-least-once", "exactly-once"}

\* For models: every message is owed to every device (bind with `Owed <- EveryDevice`) ...
EveryDevice == [m \in Msgs |-> Devices]
\* ... or to one device only; the other devices belong to users it is not addressed to.
OneDevice == [m \in Msgs |-> {CHOOSE d \in Devices : TRUE}]

KnownBugs == {"ack-before-commit", "no-idempotency-key", "gateway-write-is-delivered", "no-lease"}
\* Not a planted bug of the node: the insert of delivery rows forgets the recipient filter.
ModelBugs == {"fan-out-to-every-device"}

ASSUME ModeOK == Mode \in Modes
ASSUME BugsOK == Bugs \subseteq KnownBugs \cup ModelBugs
ASSUME ReceiptsOK == Receipts \in {"durable", "live"}
ASSUME OrderOK == Order \in {"none", "per-sender"}
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
RowsFor(m)  == IF "fan-out-to-every-device" \in Bugs THEN Devices ELSE Owed[m]

(* The assumption under which NoLoss is claimed: the faults are fewer than the pushes a  *)
(* row gets. Each fault costs a row at most one attempt, so no row is dead-lettered.     *)
(* At-most-once has one attempt: any fault that hits a push or an ack can lose it.      *)
FaultsFewerThanAttempts == MaxFaults < EffMax

SIds == Msgs \X (1..MaxSends)     \* a server message: the transaction of send attempt k of m
Rows == SIds \X Devices           \* a delivery row: server message x device (used if owed)
MsgOf(r) == r[1][1]
DevOf(r) == r[2]
AnyRow == CHOOSE r \in Rows : TRUE  \* the row field of an idle worker, never read

States == {"accepted", "delivered", "read", "failed"}
Rank(s) == CASE s = "none" -> 0 [] s = "accepted" -> 1 [] s = "delivered" -> 2 [] s = "read" -> 3
                [] OTHER -> 0
Resolving == {"delivered", "read", "failed"}

VARIABLES
  sent,     \* sent[m]: send attempts made by the sender of m
  cst,      \* cst[m]: the sender's view: "idle", "pending", "accepted" (ok), "unknown" (info)
  reqs,     \* send requests in flight: server message ids <<m, k>>
  resps,    \* "accepted" responses in flight, same ids
  txn,      \* txn[s]: "none", "open", "committed", "aborted"
  corder,   \* server messages in commit order
  row,      \* row[r]: [st: "none"|"due"|"leased"|"delivered"|"dead", att: attempts, holder: lease]
  wk,       \* wk[w]: [ph: "idle"|"selected"|"waiting", row, att]: what worker w is doing
  pushes,   \* pushes in flight: [row, w, att]
  acks,     \* acks in flight: rows
  seen,     \* seen[d]: server message ids device d has applied (kept in exactly-once only)
  effects,  \* effects[<<m, d>>]: how many times d applied m's effect (the history's receives)
  firsts,   \* firsts[d]: the messages d applied, in the order of their first effect
  log,      \* the sender's receipt log, committed with each state change: [m, ds, st]
  cur,      \* how many log entries the sender's receipts socket has been told
  conn,     \* the sender's receipts socket: "up" or "down"
  told,     \* told[<<m, d>>]: the receipt states the sender has been told
  last,     \* last[<<m, d>>]: the last ranked receipt state told, "none" before any
  okBefore, \* pairs <<a, b>>: the sender heard "accepted" for a before it first sent b
  faults    \* faults left in the budget

vars == <<sent, cst, reqs, resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts,
          log, cur, conn, told, last, okBefore, faults>>

Idle == [ph |-> "idle", row |-> AnyRow, att |-> 0]
Pushes == [row: Rows, w: Workers, att: 1..MaxAttempts]

TypeOK ==
  /\ sent \in [Msgs -> 0..MaxSends]
  /\ cst \in [Msgs -> {"idle", "pending", "accepted", "unknown"}]
  /\ reqs \subseteq SIds /\ resps \subseteq SIds
  /\ txn \in [SIds -> {"none", "open", "committed", "aborted"}]
  /\ corder \in Seq(SIds)
  /\ row \in [Rows -> [st: {"none", "due", "leased", "delivered", "dead"},
                       att: 0..MaxAttempts, holder: SUBSET Workers]]
  /\ wk \in [Workers -> [ph: {"idle", "selected", "waiting"}, row: Rows, att: 0..MaxAttempts]]
  /\ pushes \subseteq Pushes
  /\ acks \subseteq Rows
  /\ seen \in [Devices -> SUBSET SIds]
  /\ effects \in [Msgs \X Devices -> Nat]
  /\ firsts \in [Devices -> Seq(Msgs)]
  /\ log \in Seq([m: Msgs, ds: SUBSET Devices, st: States])
  /\ cur \in 0..Len(log)
  /\ conn \in {"up", "down"}
  /\ told \in [Msgs \X Devices -> SUBSET States]
  /\ last \in [Msgs \X Devices -> {"none", "accepted", "delivered", "read"}]
  /\ okBefore \subseteq Msgs \X Msgs
  /\ faults \in 0..MaxFaults

Init ==
  /\ sent = [m \in Msgs |-> 0]
  /\ cst = [m \in Msgs |-> "idle"]
  /\ reqs = {} /\ resps = {}
  /\ txn = [s \in SIds |-> "none"]
  /\ corder = <<>>
  /\ row = [r \in Rows |-> [st |-> "none", att |-> 0, holder |-> {}]]
  /\ wk = [w \in Workers |-> Idle]
  /\ pushes = {} /\ acks = {}
  /\ seen = [d \in Devices |-> {}]
  /\ effects = [p \in Msgs \X Devices |-> 0]
  /\ firsts = [d \in Devices |-> <<>>]
  /\ log = <<>> /\ cur = 0 /\ conn = "up"
  /\ told = [p \in Msgs \X Devices |-> {}]
  /\ last = [p \in Msgs \X Devices |-> "none"]
  /\ okBefore = {}
  /\ faults = MaxFaults

(* The state change to st of m's rows for the devices ds is committed, with its receipt. *)
Tell(m, ds, st) == log' = Append(log, [m |-> m, ds |-> ds, st |-> st])

\* The receipt states the store has committed for m on d (whatever the sender was told).
Logged(m, d) == {log[k].st : k \in {k \in 1..Len(log) : log[k].m = m /\ d \in log[k].ds}}

Fault == faults > 0 /\ faults' = faults - 1

SenderVars == <<log, cur, conn, told, last>>

-----------------------------------------------------------------------------------------
(* Senders                                                                              *)

Send(m) ==
  /\ cst[m] \in {"idle", "unknown"}
  /\ sent[m] < MaxSends
  /\ sent' = [sent EXCEPT ![m] = @ + 1]
  /\ cst' = [cst EXCEPT ![m] = "pending"]
  /\ reqs' = reqs \cup {<<m, sent[m] + 1>>}
  /\ okBefore' = IF sent[m] = 0 THEN okBefore \cup {<<a, m>> : a \in {a \in Msgs : cst[a] = "accepted"}}
                 ELSE okBefore
  /\ UNCHANGED <<resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts, SenderVars, faults>>

\* The client gives up waiting (records info); it may then retry with the same key.
ClientTimeout(m) ==
  /\ cst[m] = "pending"
  /\ cst' = [cst EXCEPT ![m] = "unknown"]
  /\ UNCHANGED <<sent, reqs, resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts, SenderVars,
                 okBefore, faults>>

\* A response reaches the client; only the answer to the attempt it waits for counts.
ClientReceive(s) ==
  /\ s \in resps
  /\ resps' = resps \ {s}
  /\ cst' = IF cst[s[1]] = "pending" /\ sent[s[1]] = s[2]
            THEN [cst EXCEPT ![s[1]] = "accepted"] ELSE cst
  /\ UNCHANGED <<sent, reqs, txn, corder, row, wk, pushes, acks, seen, effects, firsts, SenderVars,
                 okBefore, faults>>

\* The sender's receipts socket is told the next entry of its log. Durable receipts are
\* sequenced per sender: a state ranked at or below the last one told for that client id
\* and device is not told again, nor "failed" after "delivered" or "read".
Fresh(m, d, st) == IF st = "failed" THEN told[<<m, d>>] \cap {"delivered", "read"} = {}
                   ELSE Rank(st) > Rank(last[<<m, d>>])

TellNext ==
  /\ conn = "up" /\ cur < Len(log)
  /\ LET e == log[cur + 1]
         ds == IF Receipts = "durable" THEN {d \in e.ds : Fresh(e.m, d, e.st)} ELSE e.ds
     IN /\ told' = [p \in DOMAIN told |-> IF p[1] = e.m /\ p[2] \in ds THEN told[p] \cup {e.st} ELSE told[p]]
        /\ last' = [p \in DOMAIN last |-> IF p[1] = e.m /\ p[2] \in ds /\ e.st # "failed" THEN e.st ELSE last[p]]
  /\ cur' = cur + 1
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts, log, conn,
                 okBefore, faults>>

\* The sender reconnects its receipts socket: durable receipts resume from its cursor;
\* live ones start from now, and what was logged meanwhile is never told.
Reconnect ==
  /\ conn = "down"
  /\ conn' = "up"
  /\ cur' = IF Receipts = "durable" THEN cur ELSE Len(log)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts, log, told,
                 last, okBefore, faults>>

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
  /\ UNCHANGED <<sent, cst, corder, row, wk, pushes, acks, seen, effects, firsts, SenderVars, okBefore, faults>>

\* The database acknowledges the commit: message, rows and "accepted" receipts are durable.
Commit(s) ==
  /\ txn[s] = "open"
  /\ txn' = [txn EXCEPT ![s] = "committed"]
  /\ corder' = Append(corder, s)
  /\ row' = [r \in Rows |-> IF r[1] = s /\ r[2] \in RowsFor(s[1])
                            THEN [st |-> "due", att |-> 0, holder |-> {}] ELSE row[r]]
  /\ resps' = IF AckFirst THEN resps ELSE resps \cup {s}
  /\ Tell(s[1], Owed[s[1]], "accepted")
  /\ UNCHANGED <<sent, cst, reqs, wk, pushes, acks, seen, effects, firsts, cur, conn, told, last, okBefore, faults>>

-----------------------------------------------------------------------------------------
(* Delivery workers                                                                     *)

\* s1 was committed before s2.
CommittedBefore(s1, s2) == \E i, j \in 1..Len(corder) : i < j /\ corder[i] = s1 /\ corder[j] = s2

\* Per-sender order: every row of an earlier-committed message to the same device is done.
InTurn(r) == Order = "none" \/
  \A r2 \in Rows : (DevOf(r2) = DevOf(r) /\ MsgOf(r2) # MsgOf(r) /\ CommittedBefore(r2[1], r[1]))
                   => row[r2].st \notin {"due", "leased"}

Claimable(r) == row[r].st = "due" /\ row[r].att < EffMax /\ InTurn(r)

\* Returns row r to the queue, or dead-letters it (with its "failed" receipt) once its
\* attempts are used up.
Release(r) ==
  /\ row' = [row EXCEPT ![r] = [st |-> IF row[r].att >= EffMax THEN "dead" ELSE "due",
                                att |-> row[r].att, holder |-> {}]]
  /\ IF row[r].att >= EffMax THEN Tell(MsgOf(r), {DevOf(r)}, "failed") ELSE UNCHANGED log

\* The gateway writes the push; with the bug, that write is counted as delivered.
PushOut(w, r, n) ==
  /\ pushes' = pushes \cup {[row |-> r, w |-> w, att |-> n]}
  /\ IF WriteIsAck
     THEN /\ row' = [row EXCEPT ![r] = [st |-> "delivered", att |-> n, holder |-> {}]]
          /\ wk' = [wk EXCEPT ![w] = Idle]
          /\ IF row[r].st # "delivered" THEN Tell(MsgOf(r), {DevOf(r)}, "delivered")
                                        ELSE UNCHANGED log
     ELSE /\ row' = [row EXCEPT ![r] = [st |-> IF Leases THEN "leased" ELSE row[r].st,
                                        att |-> n, holder |-> IF Leases THEN {w} ELSE {}]]
          /\ wk' = [wk EXCEPT ![w] = [ph |-> "waiting", row |-> r, att |-> n]]
          /\ UNCHANGED log

\* One transaction claims a due row (SKIP LOCKED, sets the lease, attempts + 1); then the push.
ClaimAndPush(w, r) ==
  /\ Leases
  /\ wk[w].ph = "idle"
  /\ Claimable(r)
  /\ PushOut(w, r, row[r].att + 1)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, acks, seen, effects, firsts, cur, conn, told, last,
                 okBefore, faults>>

\* BUG no-lease: a plain SELECT, no lock and no lease: two workers can select the same row ...
Select(w, r) ==
  /\ ~Leases
  /\ wk[w].ph = "idle"
  /\ Claimable(r)
  /\ wk' = [wk EXCEPT ![w] = [ph |-> "selected", row |-> r, att |-> row[r].att]]
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, pushes, acks, seen, effects, firsts, SenderVars,
                 okBefore, faults>>

\* ... and each then pushes it, writing the attempt count it read (a lost update).
PushSelected(w) ==
  /\ wk[w].ph = "selected"
  /\ PushOut(w, wk[w].row, wk[w].att + 1)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, acks, seen, effects, firsts, cur, conn, told, last,
                 okBefore, faults>>

\* The row this worker waits for is delivered: done.
WorkerDone(w) ==
  /\ wk[w].ph = "waiting"
  /\ row[wk[w].row].st = "delivered"
  /\ wk' = [wk EXCEPT ![w] = Idle]
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, pushes, acks, seen, effects, firsts, SenderVars,
                 okBefore, faults>>

\* A push or an ack of this worker's attempt is still travelling.
InFlight(w) ==
  \/ [row |-> wk[w].row, w |-> w, att |-> wk[w].att] \in pushes
  \/ wk[w].row \in acks

\* Whether w's timeout releases r: w holds its lease (without leases: its last attempt is used).
Releases(w, r) == IF Leases THEN row[r].st = "leased" /\ row[r].holder = {w}
                  ELSE row[r].st = "due" /\ row[r].att >= EffMax

\* No ack in time: release the lease for a retry after backoff, or dead-letter the row.
TimeoutBody(w) ==
  LET r == wk[w].row IN
  /\ wk[w].ph = "waiting"
  /\ row[r].st # "delivered"
  /\ wk' = [wk EXCEPT ![w] = Idle]
  /\ IF Releases(w, r) THEN Release(r) ELSE UNCHANGED <<row, log>>
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, pushes, acks, seen, effects, firsts, cur, conn, told,
                 last, okBefore>>

AckTimeout(w) == ~InFlight(w) /\ TimeoutBody(w) /\ UNCHANGED faults     \* push or ack was lost
AckTimeoutEarly(w) == InFlight(w) /\ TimeoutBody(w) /\ Fault            \* FAULT: only slow

\* A lease whose holder no longer works on the row (it crashed and restarted) expires.
Orphaned(r) == row[r].st = "leased" /\ \A w \in row[r].holder : ~(wk[w].ph = "waiting" /\ wk[w].row = r)

ExpireLease(r) ==
  /\ Orphaned(r)
  /\ Release(r)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, wk, pushes, acks, seen, effects, firsts, cur, conn,
                 told, last, okBefore, faults>>

\* FAULT: the holder is alive but paused or slow, and its lease runs out.
ExpireLeaseEarly(r) ==
  /\ row[r].st = "leased" /\ ~Orphaned(r)
  /\ Fault
  /\ Release(r)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, wk, pushes, acks, seen, effects, firsts, cur, conn,
                 told, last, okBefore>>

\* The delivered state is committed with its "delivered" receipt (once per row; a late
\* ack of a dead-lettered row still counts: the device did apply it).
HandleAck(r) ==
  /\ r \in acks
  /\ acks' = acks \ {r}
  /\ IF row[r].st # "delivered"
     THEN /\ row' = [row EXCEPT ![r] = [st |-> "delivered", att |-> row[r].att, holder |-> {}]]
          /\ Tell(MsgOf(r), {DevOf(r)}, "delivered")
     ELSE UNCHANGED <<row, log>>
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, wk, pushes, seen, effects, firsts, cur, conn, told, last,
                 okBefore, faults>>

-----------------------------------------------------------------------------------------
(* Devices                                                                              *)

\* Apply the effect (unless already applied, with dedup), then ack.
Apply(p) ==
  LET r == p.row  d == DevOf(r)  s == r[1]  m == MsgOf(r) IN
  /\ IF DeviceDedup /\ s \in seen[d]
     THEN UNCHANGED <<effects, seen, firsts>>
     ELSE /\ effects' = [effects EXCEPT ![<<m, d>>] = @ + 1]
          /\ seen' = IF DeviceDedup THEN [seen EXCEPT ![d] = @ \cup {s}] ELSE seen
          /\ firsts' = IF effects[<<m, d>>] = 0 THEN [firsts EXCEPT ![d] = Append(@, m)] ELSE firsts
  /\ acks' = acks \cup {r}

DeviceReceive(p) ==
  /\ p \in pushes
  /\ pushes' = pushes \ {p}
  /\ Apply(p)
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, wk, SenderVars, okBefore, faults>>

\* The user reads m on d; the server commits the read (and its receipt) only once the row
\* is delivered.
Read(m, d) ==
  /\ effects[<<m, d>>] >= 1
  /\ "read" \notin Logged(m, d)
  /\ \E k \in 1..MaxSends : row[<<<<m, k>>, d>>].st = "delivered"
  /\ Tell(m, {d}, "read")
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts, cur, conn,
                 told, last, okBefore, faults>>

-----------------------------------------------------------------------------------------
(* Faults, each drawing from the budget                                                 *)

Others == <<sent, cst, corder, wk, seen, effects, firsts, SenderVars, okBefore>>

LoseRequest(s) == s \in reqs /\ reqs' = reqs \ {s} /\ Fault
  /\ UNCHANGED <<resps, txn, row, pushes, acks, Others>>
DuplicateRequest(s) == s \in reqs /\ HandleSendBody(s) /\ Fault    \* handled, and still in flight
  /\ UNCHANGED <<reqs, row, pushes, acks, Others>>
LoseResponse(s) == s \in resps /\ resps' = resps \ {s} /\ Fault
  /\ UNCHANGED <<reqs, txn, row, pushes, acks, Others>>
Abort(s) == txn[s] = "open" /\ txn' = [txn EXCEPT ![s] = "aborted"] /\ Fault
  /\ UNCHANGED <<reqs, resps, row, pushes, acks, Others>>
LosePush(p) == p \in pushes /\ pushes' = pushes \ {p} /\ Fault
  /\ UNCHANGED <<reqs, resps, txn, row, acks, Others>>
LoseAck(r) == r \in acks /\ acks' = acks \ {r} /\ Fault
  /\ UNCHANGED <<reqs, resps, txn, row, pushes, Others>>
CrashNode(w) == wk[w].ph # "idle" /\ wk' = [wk EXCEPT ![w] = Idle] /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, pushes, acks, seen, effects, firsts, SenderVars,
                 okBefore>>
\* The sender's receipts socket drops (a partition or a node crash on its path).
DropReceipts == conn = "up" /\ conn' = "down" /\ Fault
  /\ UNCHANGED <<sent, cst, reqs, resps, txn, corder, row, wk, pushes, acks, seen, effects, firsts, log, cur,
                 told, last, okBefore>>

-----------------------------------------------------------------------------------------

\* The protocol's own steps: the ones fairness makes happen.
Protocol ==
  \/ \E s \in SIds : HandleSend(s) \/ Commit(s) \/ ClientReceive(s)
  \/ \E w \in Workers : \/ \E r \in Rows : ClaimAndPush(w, r) \/ Select(w, r)
                        \/ PushSelected(w) \/ WorkerDone(w) \/ AckTimeout(w)
  \/ \E r \in Rows : ExpireLease(r) \/ HandleAck(r)
  \/ \E p \in Pushes : DeviceReceive(p)
  \/ TellNext \/ Reconnect

\* What users and the environment may do, or never do.
Environment ==
  \/ \E m \in Msgs : Send(m) \/ ClientTimeout(m)
  \/ \E m \in Msgs, d \in Devices : Read(m, d)
  \/ \E s \in SIds : LoseRequest(s) \/ DuplicateRequest(s) \/ LoseResponse(s) \/ Abort(s)
  \/ \E p \in Pushes : LosePush(p)
  \/ \E r \in Rows : LoseAck(r) \/ ExpireLeaseEarly(r)
  \/ \E w \in Workers : CrashNode(w) \/ AckTimeoutEarly(w)
  \/ DropReceipts

Next == Protocol \/ Environment

\* Every protocol step changes some counter monotonically, so behaviours are finite up to
\* stuttering, and weak fairness of Protocol as a whole makes a behaviour end only where no
\* protocol step is possible.
Spec == Init /\ [][Next]_vars /\ WF_vars(Protocol)

-----------------------------------------------------------------------------------------
(* The guarantees, named as the checker's outcomes (HISTORY.md "Verdicts").             *)

Accepted(m) == cst[m] = "accepted"
Applied(m, d) == effects[<<m, d>>] >= 1
Resolved(m, d) == told[<<m, d>>] \cap Resolving # {}

\* lost: every accepted message is eventually applied on every owed device (liveness).
\* Claimed under FaultsFewerThanAttempts: with more faults a row can be dead-lettered.
NoLoss == \A m \in Msgs : Accepted(m) ~> \A d \in Owed[m] : Applied(m, d)

\* unresolved: for every owed device of an accepted message the sender is eventually told
\* "delivered", "read" or "failed" (liveness; needs durable receipts, not the fault assumption).
NoUnresolved == \A m \in Msgs : Accepted(m) ~> \A d \in Owed[m] : Resolved(m, d)

\* The safety form of no loss: an accepted message is durably stored (a row per owed device;
\* rows are never deleted, only marked delivered or dead) from the moment the sender hears so.
AcceptedIsDurable == \A m \in Msgs : Accepted(m) => Committed(m)

\* duplicated: no device applies a message's effect twice.
NoDuplicateEffect == \A p \in Msgs \X Devices : effects[p] <= 1

\* unexpected / resurrected: no effect of a message the store never committed.
NoUnexpected == \A m \in Msgs, d \in Devices : Applied(m, d) => Committed(m)

\* misrouted: no effect on a device the message is not owed to.
NoMisrouted == \A m \in Msgs, d \in Devices : Applied(m, d) => d \in Owed[m]

\* false-delivered: "delivered" is told only after the device applied the message.
NoFalseDelivered == \A p \in Msgs \X Devices : "delivered" \in told[p] => effects[p] >= 1

\* read-before-delivered: "read" only after a receive or a "delivered" receipt.
NoReadBeforeDelivered ==
  \A p \in Msgs \X Devices : "read" \in told[p] => (effects[p] >= 1 \/ "delivered" \in told[p])

\* regressed: a receipt never ranks below the one told before it (across reconnects too).
ReceiptsMonotonic == [][\A p \in Msgs \X Devices : Rank(last'[p]) >= Rank(last[p])]_last

\* reordered: a device first applies b before a only if the sender did not hear "accepted"
\* for a before it first sent b (per-sender order; the reference node does not claim it).
NoReorder ==
  \A d \in Devices : \A i, j \in 1..Len(firsts[d]) : i < j => <<firsts[d][j], firsts[d][i]>> \notin okBefore

\* The lemma behind FaultsFewerThanAttempts: a dead row cost at least EffMax faults.
DeadLetterNeedsFaults == \A r \in Rows : row[r].st = "dead" => MaxFaults - faults >= EffMax

-----------------------------------------------------------------------------------------
(* Not a guarantee: a reachability check, so that passing models are not passing vacuously.*)

\* Claims that no message ever gets through: accepted, applied on every device and read
\* there. A model that checks it must find it violated, with the happy path as its trace.
HappyPathUnreachable ==
  ~\E m \in Msgs : Accepted(m) /\ Owed[m] # {} /\ \A d \in Owed[m] : Applied(m, d) /\ "read" \in told[<<m, d>>]

=========================================================================================
