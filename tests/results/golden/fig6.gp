# fig6: written by fufi report from fig6.dat. Run: gnuplot fig6.gp (in this directory).
set datafile separator whitespace
set datafile missing "NaN"
set encoding utf8
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 1200,450 enhanced font "sans,10"
} else {
  set terminal png size 1200,450
}
set output "fig6.png"
set multiplot layout 1,2 title "PLGF: width and depth"
set grid
set ytics nomirror
set y2tics
set ylabel "test MSE"
set y2label "test MAE"
set key top right
set offsets graph 0.05, graph 0.05, 0, 0
set title "channels (depth 2)"
set xlabel "channels"
plot "fig6.dat" index 0 using 1:2 with linespoints pt 7 lc rgb "#4477aa" axes x1y1 title "MSE", "" index 0 using 1:3 with linespoints pt 5 lc rgb "#cc3311" axes x1y2 title "MAE"
set title "depth (16 channels)"
set xlabel "dense layers per block (depth)"
plot "fig6.dat" index 1 using 1:2 with linespoints pt 7 lc rgb "#4477aa" axes x1y1 title "MSE", "" index 1 using 1:3 with linespoints pt 5 lc rgb "#cc3311" axes x1y2 title "MAE"
unset multiplot
unset output
set terminal svg size 1200,450 enhanced font "sans,10"
set output "fig6.svg"
set multiplot layout 1,2 title "PLGF: width and depth"
set grid
set ytics nomirror
set y2tics
set ylabel "test MSE"
set y2label "test MAE"
set key top right
set offsets graph 0.05, graph 0.05, 0, 0
set title "channels (depth 2)"
set xlabel "channels"
plot "fig6.dat" index 0 using 1:2 with linespoints pt 7 lc rgb "#4477aa" axes x1y1 title "MSE", "" index 0 using 1:3 with linespoints pt 5 lc rgb "#cc3311" axes x1y2 title "MAE"
set title "depth (16 channels)"
set xlabel "dense layers per block (depth)"
plot "fig6.dat" index 1 using 1:2 with linespoints pt 7 lc rgb "#4477aa" axes x1y1 title "MSE", "" index 1 using 1:3 with linespoints pt 5 lc rgb "#cc3311" axes x1y2 title "MAE"
unset multiplot
unset output
