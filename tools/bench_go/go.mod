module taskscope/bench

go 1.19
