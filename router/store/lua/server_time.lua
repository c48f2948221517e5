-- server_time.lua: the clock of the server that holds this hotline's keys.
--
-- KEYS[1]  any of the hotline's keys (it routes the call to that server in a Cluster)
--
-- Returns {seconds, microseconds} since the epoch, as TIME does.
return redis.call('TIME')
