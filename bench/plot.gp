# Grouped bars from bench/out/results.csv: throughput (top) and p99 latency (bottom) per test and
# pipeline depth, redis-server vs pylond.
#   gnuplot -e "results='bench/out/results.csv'; output='bench/out/throughput.png'; target='pylond'" bench/plot.gp
if (!exists("results")) results = 'bench/out/results.csv'
if (!exists("output")) output = 'bench/out/throughput.png'
if (!exists("target")) target = 'pylond'

set terminal pngcairo size 1400,900 font ",10" noenhanced
set output output
set datafile separator ","
set key top left horizontal autotitle columnhead
set bmargin 4
set offsets 0, 0, graph 0.14, 0
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xtics nomirror
set multiplot layout 2,1 title "redis-benchmark on loopback: redis-server vs ".target." (median of rounds)"

# columns: 1 test, 2 pipeline, 3 redis_rps, 4 pylond_rps, 5 ratio, 6/7 p50, 8/9 p99
# Two series per cluster, gap 1: the bars of row i are centred at i - 1/6 and i + 1/6.
# "MSET (10 keys)" is shown as "MSET".
name(s) = strstrt(s, " (") > 0 ? s[1:strstrt(s, " (") - 1] : s
group(i) = sprintf("%s\n-P %d", name(strcol(1)), column(2))
kilo(x) = x >= 1e6 ? sprintf("%.2fM", x / 1e6) : sprintf("%.0fk", x / 1e3)

set title "throughput (requests/s, log scale, higher is better; labels: pylond rps and ratio)"
set logscale y
set yrange [*:*]
set format y "%.0s%c"
plot results using 3:xtic(group(0)) title "redis-server" linecolor rgb "#c0392b", \
     '' using 4 title target linecolor rgb "#2471a3", \
     '' using ($0 - 1.0/6):3:(kilo($3)) with labels offset 0,0.6 font ",8" notitle, \
     '' using ($0 + 1.0/6):4:(sprintf("%s\nx%.2f", kilo($4), $5)) with labels offset 0,1.4 \
       font ",8" notitle

set title "p99 latency (ms, lower is better)"
unset logscale y
set yrange [0:*]
set format y "%g"
plot results using 8:xtic(group(0)) title "redis-server" linecolor rgb "#c0392b", \
     '' using 9 title target linecolor rgb "#2471a3", \
     '' using ($0 - 1.0/6):8:(sprintf("%.2f", $8)) with labels offset 0,0.6 font ",8" notitle, \
     '' using ($0 + 1.0/6):9:(sprintf("%.2f", $9)) with labels offset 0,0.6 font ",8" notitle

unset multiplot
