---------------------------------- MODULE DeliveryTrace ----------------------------------
(****************************************************************************************)
(* Trace validation: is a recorded history (HISTORY.md) a behaviour of the spec?       *)
(*                                                                                      *)
(* Trace is the history's observable events, in index order, as uniform records        *)
(* [k: kind, m: client id, d: device, n: send attempt, s: receipt state]. The spec's   *)
(* steps are matched to them:                                                          *)
(*  - a step that changes what clients observe must be the next event: a Send is the   *)
(*    `send` invoke of that attempt, the sender learning "accepted" is the `send` ok,  *)
(*    a client timeout is the `send` info/fail, an effect applied is the `receive`;    *)
(*  - events that report the current state (a `receipt`, a `read` ok) are matched by   *)
(*    an observation step: the spec has already told that state;                       *)
(*  - every other step (commits, claims, pushes, acks, faults) is silent.              *)
(* A history is explained when some behaviour matches all its events (and, if the      *)
(* history ends with `drained`, ends with every accepted message applied on every      *)
(* owed device, except in at-most-once). TLC searches for one: the invariant           *)
(* HistoryNotExplained is violated exactly when one exists, and the violation's trace  *)
(* is the explanation. No violation: no behaviour of the spec produces this history.  *)
(*                                                                                      *)
(* Left out: acks and read invocations (no observable effect of their own), nemesis    *)
(* events (faults are the spec's own nondeterminism, within MaxFaults), time.          *)
(****************************************************************************************)
EXTENDS DeliveryGuarantees, Sequences

CONSTANTS
  Trace,    \* the history's events
  Drained   \* TRUE when the history ends with `drained`

ASSUME TraceOK == Trace \in Seq([k: {"send", "ok", "info", "receive", "receipt", "read"},
                                 m: Msgs, d: Devices \cup {"-"}, n: Nat, s: STRING])
ASSUME DrainedOK == Drained \in BOOLEAN

VARIABLE i   \* how many events are explained so far

traceVars == <<vars, i>>

Key(e) == <<e.m, e.d>>

\* This step is what event e records.
Observes(e) ==
  CASE e.k = "send"    -> sent[e.m] = e.n - 1 /\ sent'[e.m] = e.n
    [] e.k = "ok"      -> cst[e.m] # "accepted" /\ cst'[e.m] = "accepted"
    [] e.k = "info"    -> cst[e.m] = "pending" /\ cst'[e.m] = "unknown"
    [] e.k = "receive" -> effects'[Key(e)] = effects[Key(e)] + 1
    [] OTHER           -> FALSE

\* Event e reports a state that is already true.
Reports(e) ==
  CASE e.k = "receipt" -> e.s \in told[Key(e)]
    [] e.k = "read"    -> "read" \in told[Key(e)]
    [] OTHER           -> FALSE

\* No client could have observed this step.
Silent == sent' = sent /\ cst' = cst /\ effects' = effects

TraceInit == Init /\ i = 0

\* A spec step that the next event records.
ObservedStep ==
  /\ i < Len(Trace)
  /\ Next /\ Observes(Trace[i + 1])
  /\ i' = i + 1

\* The next event reports what is already true.
ReportStep ==
  /\ i < Len(Trace)
  /\ Reports(Trace[i + 1])
  /\ UNCHANGED vars
  /\ i' = i + 1

\* A spec step no client observes.
SilentStep == Next /\ Silent /\ UNCHANGED i

TraceNext == ObservedStep \/ ReportStep \/ SilentStep

TraceSpec == TraceInit /\ [][TraceNext]_traceVars

\* After `drained`, every accepted message has been applied on every owed device.
DrainedWell == Drained /\ Mode # "at-most-once" =>
                 \A m \in Msgs : Accepted(m) => \A d \in Owed[m] : Applied(m, d)

HistoryNotExplained == ~(i = Len(Trace) /\ DrainedWell)

=========================================================================================
