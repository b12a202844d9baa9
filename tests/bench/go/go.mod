module taskscope/bench/goanchor

go 1.19
