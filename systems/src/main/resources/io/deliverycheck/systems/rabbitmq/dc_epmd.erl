%% deliverycheck's Erlang port mapper module for its private RabbitMQ nodes.
%%
%% Loaded with `-epmd_module dc_epmd`: a node registers with (and answers names queries from) the
%% run's own epmd exactly as with the default erl_epmd, but when it looks up a peer whose name is
%% in the environment variable DC_DIST_ROUTES ("name=port,name=port"), it is told that peer
%% listens on 127.0.0.1:port, which is the harness's TCP proxy for that one link (this node to
%% that peer). So every distribution link between two nodes runs through a proxy the harness can
%% cut, while CLI tools (rabbitmqctl), which use the default module, reach the nodes directly.
-module(dc_epmd).
-export([start_link/0, register_node/2, register_node/3, listen_port_please/2,
         port_please/2, port_please/3, address_please/3, names/0, names/1]).

start_link() -> erl_epmd:start_link().
register_node(Name, Port) -> erl_epmd:register_node(Name, Port).
register_node(Name, Port, Family) -> erl_epmd:register_node(Name, Port, Family).
listen_port_please(Name, Host) -> erl_epmd:listen_port_please(Name, Host).
names() -> erl_epmd:names().
names(Host) -> erl_epmd:names(Host).

port_please(Name, Host) -> port_please(Name, Host, infinity).
port_please(Name, Host, Timeout) ->
    case route(Name) of
        {ok, Port} -> {port, Port, 6};
        none -> erl_epmd:port_please(Name, Host, Timeout)
    end.

address_please(Name, Host, Family) ->
    case route(Name) of
        {ok, Port} -> {ok, {127, 0, 0, 1}, Port, 6};
        none -> erl_epmd:address_please(Name, Host, Family)
    end.

route(Name) when is_atom(Name) -> route(atom_to_list(Name));
route(Name) ->
    Routes = [string:split(R, "=") || R <- string:lexemes(os:getenv("DC_DIST_ROUTES", ""), ",")],
    case [P || [N, P] <- Routes, N =:= Name] of
        [P | _] -> {ok, list_to_integer(P)};
        [] -> none
    end.
