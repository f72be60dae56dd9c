"""Review: submitting for review, the curators' queue, claiming and assigning, change requests,
comments, the diff between rounds, and the decisions (approve, reject).
"""
