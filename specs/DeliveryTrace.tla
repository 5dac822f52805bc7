---------------------------------- MODULE DeliveryTrace ----------------------------------
(****************************************************************************************)
(* Trace validation: is a recorded history (HISTORY.md) a behaviour of the spec?       *)
(*                                                                                      *)
(* A history is validated in independent parts (specs/README.md says why that is       *)
(* sound): Traces[t] is the observable events of part t, in index order, as uniform    *)
(* records [k: kind, m: client id, d: device, ds: devices, n: send attempt, s: state].  *)
(* The spec's steps are matched to them:                                               *)
(*  - a step that changes what clients observe must be the next event: a Send is the   *)
(*    `send` invoke of that attempt, the sender learning "accepted" is the `send` ok,  *)
(*    a client timeout is the `send` info/fail, an effect applied is the `receive`;    *)
(*  - events that report a committed state (a `receipt`, a `read` ok) are matched by   *)
(*    an observation step: the store has already committed that state for one of the  *)
(*    devices ds (the receipt log holds it);                                           *)
(*  - every other step (commits, claims, pushes, acks, faults) is silent; the sender's *)
(*    receipts socket is not stepped (receipts are matched against the log).           *)
(* Part t is explained when some behaviour matches all its events and, if Ends[t] says *)
(* so, ends well: after a healed `drained`, every accepted message applied on every    *)
(* owed device (except in at-most-once), and where receipts are claimed, resolved by a *)
(* delivered, read or failed receipt. TLC explores every part in one run (the part is  *)
(* chosen in the initial state) and the state constraint Note prints, once each, how   *)
(* far each part got and whether it was explained; an explained part is not explored  *)
(* further. HistoryNotExplained serves a run on one part whose explanation is wanted.  *)
(*                                                                                      *)
(* Left out: acks and read invocations (no observable effect of their own), nemesis    *)
(* and harness events (faults are the spec's own nondeterminism, within MaxFaults per  *)
(* part; TraceSteps says which), time, and the order of receipts (the checker judges   *)
(* `regressed`).                                                                        *)
(****************************************************************************************)
EXTENDS DeliveryGuarantees, TLC

CONSTANTS
  Traces,   \* the parts: Traces[t] is a sequence of events
  Ends      \* Ends[t]: [drained: the part must end well, resolve: ... and resolved]

Events == [k: {"send", "ok", "info", "receive", "receipt", "read"},
           m: Msgs, d: Devices \cup {"-"}, ds: SUBSET Devices, n: Nat, s: STRING]

ASSUME TracesOK == Traces \in Seq(Seq(Events))
ASSUME EndsOK == Ends \in Seq([drained: BOOLEAN, resolve: BOOLEAN]) /\ Len(Ends) = Len(Traces)
\* Registers 1..N: events explained so far + 1 of part t; N+1..2N: part t explained.
ASSUME RegistersOK == \A k \in 1..(2 * Len(Traces)) : TLCSet(k, 0)

VARIABLES
  t,   \* the part this behaviour explains
  i    \* how many of its events are explained so far

traceVars == <<vars, t, i>>

Trace == Traces[t]
Key(e) == <<e.m, e.d>>

\* This step is what event e records.
Observes(e) ==
  CASE e.k = "send"    -> sent[e.m] = e.n - 1 /\ sent'[e.m] = e.n
    [] e.k = "ok"      -> cst[e.m] # "accepted" /\ cst'[e.m] = "accepted"
    [] e.k = "info"    -> cst[e.m] = "pending" /\ cst'[e.m] = "unknown"
    [] e.k = "receive" -> effects'[Key(e)] = effects[Key(e)] + 1
    [] OTHER           -> FALSE

\* Event e reports a state the store has already committed.
Reports(e) ==
  CASE e.k = "receipt" -> \E d \in e.ds : e.s \in Logged(e.m, d)
    [] e.k = "read"    -> "read" \in Logged(e.m, e.d)
    [] OTHER           -> FALSE

\* The spec's steps that trace validation explores: every protocol step, what users do, and
\* three faults. The other faults are left out because no observation needs them (trace
\* validation assumes no fairness): a lost request or response is one never handled or never
\* read, an aborted transaction one that never commits, a duplicated request only answers
\* again, and a node crash or an early lease expiry frees a row for a retry while its push may
\* still arrive, as an early ack timeout does, for the same one fault.
TraceSteps ==
  \/ Protocol
  \/ \E m \in Msgs : Send(m) \/ ClientTimeout(m)
  \/ \E m \in Msgs, d \in Devices : Read(m, d)
  \/ \E p \in Pushes : LosePush(p)
  \/ \E r \in Rows : LoseAck(r)
  \/ \E w \in Workers : AckTimeoutEarly(w)

\* No client could have observed this step (and the sender's receipts socket stays put).
Silent == sent' = sent /\ cst' = cst /\ effects' = effects /\ UNCHANGED <<cur, conn, told, last>>

TraceInit == Init /\ t \in 1..Len(Traces) /\ i = 0

\* A spec step that the next event records.
ObservedStep ==
  /\ i < Len(Trace)
  /\ TraceSteps /\ Observes(Trace[i + 1])
  /\ UNCHANGED t
  /\ i' = i + 1

\* The next event reports what is already true.
ReportStep ==
  /\ i < Len(Trace)
  /\ Reports(Trace[i + 1])
  /\ UNCHANGED <<vars, t>>
  /\ i' = i + 1

\* A spec step no client observes.
SilentStep == TraceSteps /\ Silent /\ UNCHANGED <<t, i>>

TraceNext == ObservedStep \/ ReportStep \/ SilentStep

TraceSpec == TraceInit /\ [][TraceNext]_traceVars

\* TLC's VIEW: states that differ only in what no later observation can depend on are one
\* state. Dropped: a response the sender no longer waits for (ClientReceive ignores it), a
\* request of an older attempt once the key is committed (with keys it can only be answered
\* again; without keys, at-least-once, it can commit again, so it stays), the order of the
\* receipt log (receipts are matched by membership), the commit order and the first-effect
\* order (used only by Order = "per-sender" and NoReorder, which traces do not check), and the
\* sender's receipts socket (never stepped here).
Waited(s) == s[2] = sent[s[1]] /\ cst[s[1]] = "pending"
TraceView ==
  <<sent, cst, IF KeyDedup THEN {s \in reqs : ~Committed(s[1]) \/ s[2] = sent[s[1]]} ELSE reqs,
    {s \in resps : Waited(s)}, txn, row, wk, pushes, acks, seen, effects,
    {log[k] : k \in 1..Len(log)}, faults, t, i>>

\* After a healed `drained`, every accepted message has been applied on every owed device.
DrainedWell == Ends[t].drained /\ Mode # "at-most-once" =>
                 \A m \in Msgs : Accepted(m) => \A d \in Owed[m] : Applied(m, d)

\* ... and where receipts are claimed, its sender was told a resolving state for each.
ResolvedWell == Ends[t].resolve =>
  \A m \in Msgs : Accepted(m) => \A d \in Owed[m] :
    \E k \in 1..Len(Trace) : Trace[k].k = "receipt" /\ Trace[k].m = m /\ d \in Trace[k].ds
                             /\ Trace[k].s \in Resolving

Explained == i = Len(Trace) /\ DrainedWell /\ ResolvedWell

\* State constraint: prints <<"dc-prefix", t, i>> when part t first gets i events explained
\* and <<"dc-explained", t>> when it is explained; stops exploring a part once explained.
Note ==
  /\ IF i + 1 > TLCGet(t) THEN PrintT(<<"dc-prefix", t, i>>) /\ TLCSet(t, i + 1) ELSE TRUE
  /\ IF Explained /\ TLCGet(Len(Traces) + t) = 0
     THEN PrintT(<<"dc-explained", t>>) /\ TLCSet(Len(Traces) + t, 1) /\ TRUE
     ELSE TLCGet(Len(Traces) + t) = 0

\* For a run on one part: violated exactly when the part is explained (the trace shows how).
HistoryNotExplained == ~Explained

=========================================================================================
